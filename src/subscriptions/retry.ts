import type { SubscriptionSettings } from '../config';
import type { DeliveryProgress, DeliveryState } from '../storage/delivery-port';

/**
 * After a failed notification: the next attempt with exponential backoff (retryBaseMs, doubling, at
 * most retryMaxMs), or, once the endpoint has failed for retryWindowMs, giving up (`expired`).
 */
export function afterFailure(
  settings: Pick<SubscriptionSettings, 'retryBaseMs' | 'retryMaxMs' | 'retryWindowMs'>,
  state: Pick<DeliveryState, 'attempts' | 'failingSince'>,
  lastError: string,
  now: number
): { progress: DeliveryProgress; expired: boolean } {
  const attempts = state.attempts + 1;
  const failingSince = state.failingSince ?? now;
  const expired = now - failingSince >= settings.retryWindowMs;
  const nextAttemptAt = expired ? undefined : now + Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** (attempts - 1));
  return { progress: { attempts, failingSince, lastError, nextAttemptAt }, expired };
}

import type { Logger } from 'pino';
import { loadImplementationGuide } from '../definitions/ig';
import type { NotificationSent } from '../audit/notification-event';
import type { ServerContext } from '../fhir/context';
import type { CapabilityStatement } from '../fhir/types';
import type { TokenGrants } from '../guard/from-token';
import { createDeliveryStore } from '../storage/delivery';
import type { Store } from '../storage/port';
import { BACKPORT, BACKPORT_PROFILE, subscriptionHook } from './subscription';
import { SubscriptionService } from './service';
import { isTopicResource, parseTopic, TopicRegistry } from './topics';

export { SubscriptionService };

/** The guide's SubscriptionTopics (profiles/examples/Basic-*.json with code SubscriptionTopic). */
export function guideTopics(ctx: Pick<ServerContext, 'registry' | 'config' | 'baseUrl'>, dir?: string): TopicRegistry {
  const ig = loadImplementationGuide(dir);
  return new TopicRegistry(ig.examples.filter(isTopicResource).map((b) => parseTopic(ctx, b)));
}

/**
 * Sets up subscriptions: the topics, the beforeStore hook that binds and checks Subscriptions, and the
 * service (its workers start with `start()`).
 */
export async function createSubscriptions(
  ctx: ServerContext,
  store: Store,
  log: Logger,
  options: { authOff: boolean; ownerAuthorized?: (owner: TokenGrants) => boolean; onSent?: (sent: NotificationSent) => void; recordable?: () => boolean }
): Promise<SubscriptionService> {
  const topics = guideTopics(ctx);
  ctx.hooks.beforeStore.push(subscriptionHook(() => topics));
  const deliveries = await createDeliveryStore(store, ctx.config);
  return new SubscriptionService({ ctx, store, deliveries, topics, log: log.child({ component: 'subscriptions' }), ...options });
}

/** The backport IG's CapabilityStatement additions: the topics on the Subscription resource, and its profile. */
export function withSubscriptionCapabilities(statement: CapabilityStatement, topics: TopicRegistry): CapabilityStatement {
  for (const rest of statement.rest ?? []) {
    const sub = rest.resource?.find((r) => r.type === 'Subscription');
    if (!sub) continue;
    sub.extension = [
      ...(sub.extension ?? []),
      ...topics.all().map((t) => ({ url: `${BACKPORT}/capabilitystatement-subscriptiontopic-canonical`, valueCanonical: t.url })),
    ];
    sub.supportedProfile = [...(sub.supportedProfile ?? []), BACKPORT_PROFILE];
  }
  statement.instantiates = [...(statement.instantiates ?? []), 'http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4'];
  return statement;
}

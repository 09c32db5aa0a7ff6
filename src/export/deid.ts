import type { Config } from '../config';
import type { Resource } from '../fhir/types';
import { recipientKey, serverSecret } from './deid-keys';
import { pseudonymise } from './deid-pseudonymise';
import type { DeidMode } from './request';

/**
 * Which `_deid` policies can be honoured. `anonymised` (a release measured against a
 * re-identification risk threshold) is not: a kick-off asking for it is refused, never answered
 * with less protected data.
 */
export function deidSupported(mode: DeidMode): boolean {
  return mode === 'pseudonymised';
}

/**
 * De-identification of exported resources (`_deid`) for one recipient, the client that started the
 * job; `at` is the export's transaction time (ages are banded against it).
 */
export function deidTransform(mode: DeidMode, recipient: string, config: Pick<Config, 'dataDir'>, at: string): (r: Resource) => Resource | null {
  if (!deidSupported(mode)) throw new Error(`_deid=${mode} is not supported`);
  const key = recipientKey(serverSecret(config.dataDir), recipient);
  return (r) => pseudonymise(r, key, at);
}

import type { Logger } from 'pino';
import type { NotificationSent } from '../audit/notification-event';
import type { GuardedStore } from '../guard/guarded-store';
import type { IndexedVersion } from '../guard/match';
import type { DeliveryEvent } from '../storage/delivery-port';
import type { VersionRecord } from '../storage/port';
import type { Entry } from './index-by-topic';
import type { NotificationType } from './notification';

export interface RecordSentDeps {
  onSent?: (sent: NotificationSent) => void;
  log: Logger;
  /** The subscriptions' named system context: the focus versions are read by the server itself. */
  system: GuardedStore;
  indexed: (v: VersionRecord) => IndexedVersion;
}

/** Tells onSent (the audit trail) of a notification: the focus versions and the patients whose compartments they are in. */
export async function recordSent(
  deps: RecordSentDeps,
  entry: Entry,
  type: NotificationType,
  events: DeliveryEvent[],
  result: Pick<NotificationSent, 'status' | 'error'>
): Promise<void> {
  const { onSent, log } = deps;
  if (!onSent) return;
  const patients = new Set<string>();
  for (const e of events) {
    if (e.resourceType === 'Patient') patients.add(`Patient/${e.id}`);
    // nothing of this read is sent: it only names the patients in the record
    const v = e.method === 'DELETE' ? undefined : await deps.system.vread(e.resourceType, e.id, e.versionId).catch(() => undefined);
    if (v?.json && !v.deleted) for (const c of deps.indexed(v).compartments) patients.add(c);
  }
  const p = entry.parsed;
  try {
    onSent({
      subscription: p.id,
      type,
      endpoint: p.endpoint,
      ...(p.owner.clientId ? { ownerClientId: p.owner.clientId } : {}),
      focus: events.map(({ resourceType, id, versionId }) => ({ resourceType, id, versionId })),
      patients: [...patients],
      ...result,
    });
  } catch (err) {
    log.error({ err, subscription: p.id }, 'subscription notification could not be recorded');
  }
}

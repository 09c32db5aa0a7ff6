import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '../fhir/types';
import type { DeliveryEvent } from '../storage/delivery-port';
import { BACKPORT, type PayloadContent } from './subscription';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

export interface NotificationInput {
  baseUrl: string;
  subscription: string;
  topic: string;
  status: string;
  type: NotificationType;
  eventsSinceStart: number;
  content: PayloadContent;
  /** The events with, for full-resource, the focus as the subscription's grant may read it. */
  events: { event: DeliveryEvent; resource?: Resource }[];
  error?: string;
}

/** The SubscriptionStatus of the backport IG on R4: a Parameters resource (backport-subscription-status-r4). */
export function subscriptionStatus(n: Omit<NotificationInput, 'events'> & { events: DeliveryEvent[] }): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'subscription', valueReference: { reference: `${n.baseUrl}/Subscription/${n.subscription}` } },
    { name: 'topic', valueCanonical: n.topic },
    { name: 'status', valueCode: n.status },
    { name: 'type', valueCode: n.type },
    { name: 'events-since-subscription-start', valueString: String(n.eventsSinceStart) },
  ];
  for (const e of n.events) {
    parameter.push({
      name: 'notification-event',
      part: [
        { name: 'event-number', valueString: String(e.eventNumber) },
        { name: 'timestamp', valueInstant: e.timestamp },
        ...(n.content !== 'empty' ? [{ name: 'focus', valueReference: { reference: `${n.baseUrl}/${e.resourceType}/${e.id}` } }] : []),
      ],
    });
  }
  if (n.error) parameter.push({ name: 'error', valueCodeableConcept: { text: n.error } });
  return { resourceType: 'Parameters', meta: { profile: [`${BACKPORT}/backport-subscription-status-r4`] }, parameter };
}

/** A notification Bundle (type history): the status first, then one entry per event unless the content is empty. */
export function notificationBundle(n: NotificationInput, now = new Date()): Bundle {
  const status = subscriptionStatus({ ...n, events: n.events.map((e) => e.event) });
  const entry: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: status,
      request: { method: 'GET', url: `${n.baseUrl}/Subscription/${n.subscription}/$status` },
      response: { status: '200' },
    },
  ];
  if (n.content !== 'empty') {
    for (const { event, resource } of n.events) {
      const created = event.method === 'POST' || event.versionId === '1';
      entry.push({
        fullUrl: `${n.baseUrl}/${event.resourceType}/${event.id}`,
        ...(n.content === 'full-resource' && resource ? { resource } : {}),
        request: { method: event.method === 'DELETE' ? 'DELETE' : created ? 'POST' : 'PUT', url: created && event.method !== 'DELETE' ? event.resourceType : `${event.resourceType}/${event.id}` },
        response: { status: event.method === 'DELETE' ? '204' : created ? '201' : '200', lastModified: event.timestamp, etag: `W/"${event.versionId}"` },
      });
    }
  }
  return { resourceType: 'Bundle', id: randomUUID(), meta: { lastUpdated: now.toISOString() }, type: 'history', timestamp: now.toISOString(), entry };
}

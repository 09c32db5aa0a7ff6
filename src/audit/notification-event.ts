import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { AuditEvent, AuditEventEntity } from '../fhir/types';

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';

/** A subscription notification that was sent, and what became of it. */
export interface NotificationSent {
  subscription: string;
  /** handshake, heartbeat or event-notification (a classic R4 subscription's request is an event-notification). */
  type: string;
  /** The endpoint as configured; only its origin is recorded (its path and the headers may carry secrets). */
  endpoint: string;
  /** The client that made the subscription, when a token did. */
  ownerClientId?: string;
  /** The focus versions notified (empty for handshakes and heartbeats). */
  focus: { resourceType: string; id: string; versionId: string }[];
  /** The patients whose compartments the focus resources are in (`Patient/{id}`). */
  patients: string[];
  /** The HTTP status of the answer, when there was one. */
  status?: number;
  /** Why it failed (a status other than 2xx, a timeout, a refused connection). */
  error?: string;
}

/** The role of the entity naming the Subscription a notification was sent for (the project's own code; object-role has none). */
export const SUBSCRIPTION_ROLE = { system: 'http://insured.example.org/fhir/CodeSystem/audit-entity-role', code: 'subscription', display: 'Subscription notified' };

/**
 * The AuditEvent of one subscription notification sent (DICOM 110106 Export; subtype
 * `subscription-{handshake|heartbeat|event-notification}` in the project's audit-subtype system): the
 * server's subscription worker as the requestor, the endpoint's origin as the destination, the
 * Subscription, each focus version and each patient as entities. Success is a 2xx answer.
 */
export function notificationAuditEvent(n: NotificationSent, now: Date): AuditEvent {
  const origin = new URL(n.endpoint).origin;
  const host = new URL(n.endpoint).hostname.replace(/^\[|\]$/g, '');
  const failed = n.error !== undefined;
  const entity: AuditEventEntity[] = [
    ...n.patients.map((p) => ({ what: { reference: p }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' } })),
    { what: { reference: `Subscription/${n.subscription}` }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: SUBSCRIPTION_ROLE },
    ...n.focus.map((f) => ({ what: { reference: `${f.resourceType}/${f.id}/_history/${f.versionId}` }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' } })),
  ];
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106', display: 'Export' },
    subtype: [{ system: 'http://insured.example.org/fhir/CodeSystem/audit-subtype', code: `subscription-${n.type}`, display: `Subscription ${n.type}` }],
    action: 'E',
    recorded: now.toISOString(),
    // a 4xx is the receiver refusing it; no answer or a 5xx is a failure of the channel
    outcome: !failed ? '0' : n.status !== undefined && n.status < 500 ? '4' : '8',
    outcomeDesc: `${failed ? n.error : `HTTP ${n.status}`}; ${n.focus.length} focus resources to ${origin}`.slice(0, 200),
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'dataprocessor', display: 'data processor' }] },
        who: { display: 'insured-fhir-server system context: subscriptions' },
        requestor: true,
      },
      {
        type: { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110152', display: 'Destination Role ID' }] },
        who: { display: origin },
        ...(n.ownerClientId ? { altId: n.ownerClientId } : {}),
        requestor: false,
        network: { address: host, type: net.isIP(host) ? ('2' as const) : ('1' as const) },
      },
    ],
    source: {
      observer: { display: 'insured-fhir-server subscription delivery' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity,
  };
}

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AuditEvent } from '../fhir/types';

/**
 * A change an administrator makes with `npm run admin`: what, to which client or user, and where it
 * stands. It is recorded twice: `requested` before the change is made (committed to the trail first,
 * so a change is never made unrecorded, even if the command dies right after it), then `done` or
 * `failed`, naming the request's event. A request with no result in the trail was interrupted: the
 * change may or may not have been made.
 */
export interface AdminChange {
  action: 'add' | 'remove';
  target: { kind: 'client' | 'user'; id: string; fhirUser?: string };
  phase: 'requested' | 'done' | 'failed';
  detail?: string;
  /** For a result: the id of the event that recorded the request. */
  requestedId?: string;
}

/** The entity role naming, in a result's event, the event of the request it answers. */
export const REQUEST_ROLE = { system: 'http://insured.example.org/fhir/CodeSystem/audit-entity-role', code: 'request', display: 'The request this result answers' };

/** The identifier systems naming registered clients and users (the authorization server's own ids). */
export const CLIENT_ID_SYSTEM = 'http://insured.example.org/fhir/sid/client-id';
export const USERNAME_SYSTEM = 'http://insured.example.org/fhir/sid/username';

/**
 * The AuditEvent of an administrator command (DICOM 110137 User Security Attributes Changed): the
 * operating-system user who ran it as the agent, the client or user changed as the entity. Secrets and
 * passwords are never part of it.
 */
export function adminAuditEvent(change: AdminChange, now: Date, who = os.userInfo()): AuditEvent {
  const { kind, id, fhirUser } = change.target;
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110137', display: 'User Security Attributes Changed' },
    subtype: [{ system: 'http://insured.example.org/fhir/CodeSystem/audit-subtype', code: `admin-${kind}-${change.action}`, display: `Administrator: ${kind} ${change.action}` }],
    action: change.action === 'add' ? 'C' : 'D',
    recorded: now.toISOString(),
    // a request has no outcome yet
    ...(change.phase === 'requested' ? {} : { outcome: change.phase === 'done' ? ('0' as const) : ('4' as const) }),
    outcomeDesc: `${change.phase}${change.detail ? `: ${change.detail}` : ''}`.slice(0, 200),
    ...commandSource(who),
    entity: [
      {
        what: { identifier: { system: kind === 'client' ? CLIENT_ID_SYSTEM : USERNAME_SYSTEM, value: id }, display: `${kind} ${id}` },
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: kind === 'client' ? '15' : '11', display: kind === 'client' ? 'Security Resource' : 'Security User Entity' },
      },
      ...(fhirUser ? [{ what: { reference: fhirUser }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' } }] : []),
      ...(change.requestedId ? [{ what: { reference: `AuditEvent/${change.requestedId}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' }, role: REQUEST_ROLE }] : []),
    ],
  };
}

/** The agent and source of an event a command records: the operating-system user who ran it, on this host. */
export function commandSource(who: Pick<os.UserInfo<string>, 'username' | 'uid'> = os.userInfo()): Pick<AuditEvent, 'agent' | 'source'> {
  return {
    agent: [
      {
        type: { coding: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110150', display: 'Application' }] },
        who: { display: `operating-system user ${who.username} (uid ${who.uid})` },
        altId: who.username,
        requestor: true,
        network: { address: os.hostname(), type: '1' as const },
      },
    ],
    source: {
      observer: { display: 'insured-fhir-server admin command' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
  };
}

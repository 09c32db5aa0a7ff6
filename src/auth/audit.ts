import type { AuditEvent } from '../fhir/types';

/** An authorization decision to record: a sign-in, a token issued or refused. */
export interface AuthDecision {
  action: 'login' | 'token' | 'consent';
  success: boolean;
  clientId?: string;
  user?: string;
  detail?: string;
  sourceAddress?: string;
}

/**
 * The AuditEvent of an authorization decision, in the IHE Basic Audit Log Patterns shape for user
 * authentication (DICOM 110114 User Authentication, subtype 110122 Login).
 */
export function authAuditEvent(d: AuthDecision, now: Date): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114', display: 'User Authentication' },
    subtype: [
      { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110122', display: 'Login' },
      { system: 'http://insured.example.org/fhir/CodeSystem/auth-decision', code: d.action === 'token' ? 'token-issue' : d.action === 'consent' ? 'consent-decision' : 'user-login' },
    ],
    action: 'E',
    recorded: now.toISOString(),
    outcome: d.success ? '0' : '4',
    ...(d.detail ? { outcomeDesc: d.detail.slice(0, 200) } : {}),
    agent: [
      {
        who: d.user ? { reference: d.user } : { display: d.clientId ?? 'unidentified client' },
        ...(d.clientId ? { altId: d.clientId } : {}),
        requestor: true,
        ...(d.sourceAddress ? { network: { address: d.sourceAddress, type: '2' as const } } : {}),
      },
    ],
    source: {
      observer: { display: 'insured-fhir-server authorization server' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
  };
}

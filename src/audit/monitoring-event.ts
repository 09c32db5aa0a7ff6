import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../fhir/types';

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';

/** An alert the monitoring context raised, or its failure to judge a reading. */
export interface MonitoringRecord {
  /** The reading judged (`Observation/{id}/_history/{v}`). */
  reading: string;
  patient?: string;
  /** The alert written (DetectedIssue, Flag and Task share its id); absent when judging failed. */
  alert?: { id: string; rule: string; evidence: string[] };
  error?: string;
}

/**
 * The AuditEvent of the server's monitoring context (src/monitoring) raising an alert: it read the
 * person's readings and wrote a DetectedIssue, a Flag and a Task (DICOM 110110 Patient Record, action
 * C, subtype `monitoring-alert`); or it failed to judge a reading (outcome 8, subtype `monitoring-failed`).
 */
export function monitoringAuditEvent(m: MonitoringRecord, now: Date): AuditEvent {
  const object = (reference: string, display?: string) => ({ what: { reference }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, ...(display ? { description: display } : {}) });
  const alert = m.alert;
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110', display: 'Patient Record' },
    subtype: [{ system: 'http://insured.example.org/fhir/CodeSystem/audit-subtype', code: alert ? 'monitoring-alert' : 'monitoring-failed', display: alert ? 'Monitoring alert raised' : 'Monitoring failed' }],
    action: 'C',
    recorded: now.toISOString(),
    outcome: m.error ? '8' : '0',
    outcomeDesc: (m.error ?? `alert ${alert?.id} by ${alert?.rule} on ${alert?.evidence.length} readings`).slice(0, 200),
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'dataprocessor', display: 'data processor' }] },
        who: { display: 'insured-fhir-server system context: monitoring' },
        requestor: true,
      },
    ],
    source: {
      observer: { display: 'insured-fhir-server monitoring' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity: [
      ...(m.patient ? [{ what: { reference: m.patient }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' } }] : []),
      object(m.reading, 'the reading judged'),
      ...(alert
        ? [
            object(`DetectedIssue/${alert.id}`, 'alert written'),
            object(`Flag/${alert.id}`, 'alert written'),
            object(`Task/${alert.id}`, 'alert written'),
            ...alert.evidence.filter((e) => !m.reading.startsWith(`${e}/`)).map((e) => object(e, 'evidence read')),
          ]
        : []),
    ],
  };
}

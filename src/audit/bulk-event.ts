import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventEntity } from '../fhir/types';
import type { WriteOp } from '../storage/port';
import type { AuditAppender } from './appender';

const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';

/**
 * The events of one batch of the bulk loader (BALP's shape for an import, DICOM 110107 Import):
 * one per patient whose compartment the batch wrote into, listing that patient and each resource
 * written (so the person's own log shows the import of their records and nothing of anyone else's),
 * and one for the resources in no patient's compartment. All name the loader's named system context
 * as the agent and the input file as the source.
 */
export function bulkImportEvents(ops: WriteOp[], input: { file?: string; agent: string; now: Date }): AuditEvent[] {
  const byPatient = new Map<string, WriteOp[]>();
  for (const op of ops) {
    const keys = op.compartments.length ? op.compartments : [''];
    for (const k of keys) byPatient.set(k, [...(byPatient.get(k) ?? []), op]);
  }
  return [...byPatient].map(([patient, written]) => {
    const entity: AuditEventEntity[] = [
      ...(patient ? [{ what: { reference: patient }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' } }] : []),
      ...written
        .filter((op) => `${op.resourceType}/${op.id}` !== patient)
        .map((op) => ({ what: { reference: `${op.resourceType}/${op.id}/_history/${op.versionId}` }, type: { system: ENTITY_TYPE, code: '2' } })),
    ];
    return {
      resourceType: 'AuditEvent',
      id: randomUUID(),
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110107', display: 'Import' },
      subtype: [{ system: 'http://insured.example.org/fhir/CodeSystem/audit-subtype', code: 'bulk-import', display: 'Bulk import' }],
      action: 'C',
      recorded: input.now.toISOString(),
      outcome: '0',
      outcomeDesc: `${written.length} resources written${input.file ? ` from ${input.file.slice(-200)}` : ''}`,
      agent: [{ who: { display: `insured-fhir-server system context: ${input.agent}` }, requestor: true }],
      source: {
        observer: { display: 'insured-fhir-server bulk loader' },
        type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
      },
      entity,
    } as AuditEvent;
  });
}

/** The bulk loader's `onWritten`: each batch's events appended to the trail inside the batch's write scope. */
export function bulkImportRecorder(trail: AuditAppender, agent: string): (ops: WriteOp[]) => Promise<void> {
  return async (ops) => {
    await trail.append(bulkImportEvents(ops, { agent, now: new Date() }));
  };
}

import { randomUUID } from 'node:crypto';
import type { FhirRequest, FhirResponse, RequestContext } from '../fhir/context';
import { isFhirError } from '../fhir/errors';
import type { DefinitionRegistry } from '../definitions/registry';
import { resolveInteraction } from '../fhir/router';
import type { AuditEvent, AuditEventEntity } from '../fhir/types';

const RESTFUL = 'http://hl7.org/fhir/restful-interaction';

/**
 * The role of the entity that names the Bundle an entry's event belongs to. R4's AuditEvent has no
 * parent element and object-role no fitting code, so the entity's role is coded in the project's own
 * system (the binding is extensible); `entity=AuditEvent/{id}` finds a Bundle's entries.
 */
export const PARENT_ROLE = { system: 'http://insured.example.org/fhir/CodeSystem/audit-entity-role', code: 'parent', display: 'Part of this batch or transaction' };

/** The interaction code (restful-interaction) and audit action of a request, from the router's own table. */
export function classify(registry: DefinitionRegistry, req: FhirRequest): { interaction: string; action: AuditEvent['action'] } {
  try {
    const { row } = resolveInteraction(registry, req);
    const batch = row.code === 'transaction' && (req.body as { type?: unknown } | undefined)?.type === 'batch';
    return { interaction: batch ? 'batch' : row.code, action: row.action };
  } catch {
    // no such interaction: the refusal is still recorded
    return { interaction: req.path.some((s) => s.startsWith('$')) ? 'operation' : 'read', action: 'E' };
  }
}

/**
 * An AuditEvent for one access to the FHIR API, in the shape of the IHE Basic Audit Log Patterns
 * (who, which client, which patient, what, outcome, from where). The query string is recorded
 * base64-encoded as BALP does; it is health data and readable by administrators only.
 */
export function apiAuditEvent(
  ctx: RequestContext,
  req: FhirRequest,
  res: FhirResponse | undefined,
  error: unknown,
  /** For an entry of a batch or transaction: its Bundle's event, and whether the transaction was undone. */
  entry?: { parent?: string; rolledBack?: boolean }
): AuditEvent {
  const sourceAddress = req.clientAddress;
  const { interaction, action } = classify(ctx.registry, req);
  const status = res?.status ?? (isFhirError(error) ? error.status : 500);
  const outcome: AuditEvent['outcome'] = entry?.rolledBack ? '4' : status < 400 ? '0' : status < 500 ? '4' : '8';
  const subject = ctx.store.subject;
  const entity: AuditEventEntity[] = [];
  // what was accessed: the path's resource, or the one a create wrote
  const [type, id] = res?.version ? [res.version.resourceType, res.version.id] : req.path;
  const patient = subject.patient ?? (type === 'Patient' && id && !id.startsWith('$') && !id.startsWith('_') ? id : undefined) ?? searchedPatient(req);
  if (patient) {
    entity.push({
      what: { reference: `Patient/${patient}` },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
    });
  }
  if (type && id && !id.startsWith('_') && !id.startsWith('$') && !(type === 'Patient' && id === patient)) {
    entity.push({ what: { reference: `${type}/${id}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2' } });
  }
  if (req.query.length && (interaction.startsWith('search') || interaction === 'operation')) {
    entity.push({
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '24', display: 'Query' },
      query: Buffer.from(new URLSearchParams(req.query).toString()).toString('base64'),
    });
  }
  if (entry?.parent) entity.push({ what: { reference: `AuditEvent/${entry.parent}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2' }, role: PARENT_ROLE });
  return {
    resourceType: 'AuditEvent',
    id: entry ? randomUUID() : (ctx.auditId ?? randomUUID()),
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: RESTFUL, code: interaction }],
    action,
    recorded: ctx.now().toISOString(),
    outcome,
    ...(outcome !== '0' ? { outcomeDesc: entry?.rolledBack ? `HTTP ${status}; rolled back with its transaction` : `HTTP ${status}` } : {}),
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] },
        who: subject.user ? { reference: subject.user } : { display: subject.clientId ?? 'anonymous' },
        ...(subject.clientId ? { altId: subject.clientId } : {}),
        requestor: true,
        ...(sourceAddress ? { network: { address: sourceAddress, type: '2' as const } } : {}),
      },
      // the server's own named work done for this request (aggregate statistics, maintenance)
      ...[...new Set(ctx.store.systemUses)].map((name) => ({
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'dataprocessor', display: 'data processor' }] },
        who: { display: `insured-fhir-server system context: ${name}` },
        requestor: false,
      })),
    ],
    source: {
      observer: { display: 'insured-fhir-server' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    ...(entity.length ? { entity } : {}),
  };
}

/** The patient a search names by its patient or subject parameter (one Patient), so their own log shows it. */
function searchedPatient(req: FhirRequest): string | undefined {
  const named = req.query.filter(([k]) => k === 'patient' || k === 'subject' || k === 'beneficiary' || k === 'patient:Patient' || k === 'subject:Patient').map(([, v]) => v);
  if (named.length !== 1 || named[0].includes(',')) return undefined;
  const m = /^(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(named[0]);
  return m?.[1];
}

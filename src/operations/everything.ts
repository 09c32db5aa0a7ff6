import { bundleJson, linkUrl, type RawEntry } from '../fhir/bundle';
import type { FhirRequest, FhirResponse, RequestContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import { notFound } from '../fhir/interactions/read';
import type { BundleLink } from '../fhir/types';
import { parseSearch } from '../search/parse';
import { parseCount } from '../search/result-params';
import type { Predicate } from '../search/plan';
import { executeSearch } from '../fhir/search/run';
import type { OperationHandler } from './registry';

/** Types never returned by $everything: the audit trail is about accesses, not the patient's record. */
const EXCLUDED = new Set(['AuditEvent']);

/**
 * Patient/$everything (http://hl7.org/fhir/OperationDefinition/Patient-everything): the Patient, every
 * resource in its compartment, then the resources those refer to outside it (Practitioner,
 * Organization, Location, Medication, Device...), each once, paged by the store's own cursors in two
 * phases. `start`/`end` filter on each type's clinical `date` parameter, `_since` on lastUpdated.
 * Every type passes through the guarded store like a search; a patient token gets its own record only.
 */
export const everythingOperation: OperationHandler = {
  code: 'everything',
  definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
  resourceTypes: ['Patient'],
  type: true,
  instance: true,
  affectsState: false,
  async handle(ctx, req, target) {
    const q = queryParams(req);
    const count = q._count === undefined ? ctx.config.defaultCount : parseCount(q._count, ctx.config, 1);
    const patientId = target.id;
    const entries: RawEntry[] = [];
    if (patientId) {
      const patient = await ctx.store.read('Patient', patientId);
      if (!patient || patient.deleted) throw notFound('Patient', patientId);
      if (!q._cursor && wanted(q, 'Patient')) entries.push(entry(ctx, 'Patient', patientId, patient.json));
    } else {
      ctx.store.authorize('s', 'Patient');
    }

    const memberTypes = ctx.registry.patientCompartmentTypes().filter((t) => ctx.registry.isResourceType(t) && !EXCLUDED.has(t) && t !== 'Patient');
    const membership: Predicate[] = patientId ? [{ kind: 'compartment', compartments: [`Patient/${patientId}`] }] : [];
    const members = patientId ? memberTypes : [...memberTypes, 'Patient'];
    const [phase, cursor] = (q._cursor ?? 'c:').split(/:(.*)/s) as [string, string | undefined];
    if (phase !== 'c' && phase !== 'r') throw new FhirError('invalid', 'FHIR-0400-CURSOR', 'Invalid _cursor');

    let next: string | undefined;
    // a page holds at most _count entries, the Patient on the first one included
    const room = count - entries.length;
    if (phase === 'c' && room === 0) {
      next = 'c:';
    } else if (phase === 'c') {
      const types = members.filter((t) => wanted(q, t));
      const page = types.length
        ? await executeSearch(ctx.store, { resourceTypes: types, where: [...membership, ...filters(ctx, types, q)], count: room, cursor: cursor || undefined, total: 'none', sort: [] })
        : { records: [], next: undefined };
      entries.push(...page.records.map((r) => entry(ctx, r.resourceType, r.id, r.json)));
      next = page.next ? `c:${page.next}` : 'r:';
    } else {
      // other patients are never pulled in through references (a family member's record is their own)
      const outside = ctx.registry.resourceTypes().filter((t) => !members.includes(t) && t !== 'Patient' && !EXCLUDED.has(t) && wanted(q, t));
      const referencedBy: Predicate = { kind: 'referencedBy', sourceTypes: patientId ? [...memberTypes, 'Patient'] : members, where: membership };
      const since = q._since ? filters(ctx, outside, { _since: q._since }) : [];
      const page = outside.length
        ? await executeSearch(ctx.store, { resourceTypes: outside, where: [referencedBy, ...since], count, cursor: cursor || undefined, total: 'none', sort: [] })
        : { records: [], next: undefined };
      entries.push(...page.records.map((r) => entry(ctx, r.resourceType, r.id, r.json)));
      next = page.next ? `r:${page.next}` : undefined;
    }

    const path = patientId ? `Patient/${patientId}/$everything` : 'Patient/$everything';
    const kept = req.query.filter(([k]) => ['start', 'end', '_since', '_type', '_count'].includes(k));
    const link: BundleLink[] = [{ relation: 'self', url: linkUrl(ctx.baseUrl, path, req.query.filter(([k]) => k !== '_format')) }];
    if (next) link.push({ relation: 'next', url: linkUrl(ctx.baseUrl, path, [...kept, ['_cursor', next]]) });
    return { status: 200, json: bundleJson({ type: 'searchset', link }, entries) } satisfies FhirResponse;
  },
};

function entry(ctx: RequestContext, type: string, id: string, json: string | undefined): RawEntry {
  return { fullUrl: `${ctx.baseUrl}/${type}/${id}`, resourceJson: json, search: { mode: 'match' } };
}

function queryParams(req: FhirRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const body = req.body as { resourceType?: string; parameter?: { name: string; valueDate?: string; valueInstant?: string; valueCode?: string; valueInteger?: number }[] } | undefined;
  for (const p of body?.resourceType === 'Parameters' ? (body.parameter ?? []) : []) {
    out[p.name] = p.valueDate ?? p.valueInstant ?? p.valueCode ?? (p.valueInteger !== undefined ? String(p.valueInteger) : undefined);
  }
  for (const [k, v] of req.query) out[k] = v;
  return out;
}

function wanted(q: Record<string, string | undefined>, type: string): boolean {
  return !q._type || q._type.split(',').map((t) => t.trim()).includes(type);
}

/** `_since` on lastUpdated; `start`/`end` on the clinical `date` parameter of the types that have one. */
function filters(ctx: RequestContext, types: string[], q: Record<string, string | undefined>): Predicate[] {
  const options = { handling: 'strict' as const, baseUrl: ctx.config.baseUrl, now: ctx.now().getTime() };
  const out: Predicate[] = [];
  if (q._since) out.push(...parseSearch(ctx.registry, types, [['_lastUpdated', `ge${q._since}`]], ctx.config, options).where);
  if (q.start || q.end) {
    const dated = types.filter((t) => ctx.registry.searchParameter(t, 'date')?.type === 'date');
    const query: [string, string][] = [];
    if (q.start) query.push(['date', `ge${q.start}`]);
    if (q.end) query.push(['date', `le${q.end}`]);
    const any: Predicate[] = dated.map((t) => ({ kind: 'and', all: [{ kind: 'type', types: [t] }, ...parseSearch(ctx.registry, [t], query, ctx.config, options).where] }));
    const undated = types.filter((t) => !dated.includes(t));
    if (undated.length) any.push({ kind: 'type', types: undated });
    out.push({ kind: 'or', any });
  }
  return out;
}

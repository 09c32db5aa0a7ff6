import type { FhirRequest, RequestContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import { parseResourceScope } from '../auth/scopes';
import type { TokenGrants } from '../guard/from-token';
import type { Grant } from '../guard/grant';
import { parseSearch } from '../search/parse';
import { RESULT_PARAMS } from '../search/result-params';

/** The three spellings of NDJSON that Bulk Data 2.0 says a server SHALL accept for `_outputFormat`. */
export const NDJSON_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];

export type DeidMode = 'pseudonymised' | 'anonymised';

/** How the worker compiles the grant of the token that started the job again. */
export type PersistedGrant = { token: TokenGrants } | { system: string };

/** One kick-off request, checked and resolved (types, group members, grant), as the job row keeps it. */
export interface ExportRequest {
  level: 'system' | 'patient' | 'group';
  groupId?: string;
  /** The kick-off URL, echoed in the manifest's `request`. */
  requestUrl: string;
  /** The types to export, in order. */
  types: string[];
  /** Types asked for in `_type` that the token may not read: left out, reported in `error`. */
  refused: string[];
  since?: string;
  until?: string;
  transactionTime: string;
  /** The store version at kick-off: deleted entries are read up to it. */
  storeVersion: number;
  /** Search queries per type (`_typeFilter`), OR-ed within the type. */
  typeFilters: Record<string, string[]>;
  /** `_elements`: bare names apply to every type, `Type.name` to that type. */
  elements?: string[];
  /** The patients an export is about (Patient/$export with `patient`, a Group's members); absent: all. */
  patients?: string[];
  organizeOutputBy?: 'Patient';
  allowPartialManifests: boolean;
  /** `Prefer: handling=lenient`: what cannot be honoured is left out rather than refused. */
  lenient: boolean;
  deid?: DeidMode;
  grant: PersistedGrant;
}

type Param = { name: string; valueString?: string; valueInstant?: string; valueDateTime?: string; valueCode?: string; valueBoolean?: boolean; valueReference?: { reference?: string } };

const KNOWN = new Set(['_outputFormat', '_since', '_until', '_type', '_elements', 'patient', 'includeAssociatedData', '_typeFilter', 'organizeOutputBy', 'allowPartialManifests', '_deid']);
const IGNORED = new Set(['_format', '_pretty']);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Types never exported: the audit trail is about accesses, not health data. */
const EXCLUDED = new Set(['AuditEvent']);

const bad = (code: string, message: string) => new FhirError('invalid', `FHIR-0400-EXPORT-${code}`, message);

/** The kick-off parameters, from the query (GET) or from a Parameters body (POST), each name to its values. */
export function kickoffParams(req: FhirRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    out.set(name, [...(out.get(name) ?? []), value]);
  };
  for (const [k, v] of req.query) add(k, v);
  if (req.method === 'POST' && req.body !== undefined) {
    const body = req.body as { resourceType?: string; parameter?: Param[] };
    if (body.resourceType !== 'Parameters') throw bad('BODY', 'A POST kick-off takes a Parameters resource');
    for (const p of body.parameter ?? []) {
      const value = p.valueString ?? p.valueInstant ?? p.valueDateTime ?? p.valueCode ?? (p.valueBoolean !== undefined ? String(p.valueBoolean) : undefined) ?? p.valueReference?.reference;
      if (value === undefined) throw bad('PARAM', `Parameter ${p.name} has no value of a supported type`);
      add(p.name, value);
    }
  }
  return out;
}

/**
 * Checks a kick-off (bulk-data export.html#query-parameters) and resolves what the job needs. Every
 * parameter the server cannot honour is a 400 unless the client prefers lenient handling.
 */
export function parseKickoff(
  ctx: RequestContext,
  req: FhirRequest,
  level: ExportRequest['level'],
  grant: Grant,
  extra: { groupId?: string; storeVersion: number }
): Omit<ExportRequest, 'patients'> & { patientParam?: string[] } {
  const prefer = (req.headers.prefer ?? '').toLowerCase();
  if (!/(^|[,;\s])respond-async($|[,;\s])/.test(prefer)) throw bad('PREFER', 'A Bulk Data kick-off needs the header Prefer: respond-async');
  const lenient = /handling\s*=\s*lenient/.test(prefer);
  const params = kickoffParams(req);
  for (const name of params.keys()) {
    if (!KNOWN.has(name) && !IGNORED.has(name) && !lenient) throw bad('PARAM', `Unknown kick-off parameter ${name}`);
  }
  const one = (name: string) => {
    const v = params.get(name);
    if (v && v.length > 1) throw bad('PARAM', `${name} may be given once`);
    return v?.[0];
  };
  const list = (name: string) => (params.get(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

  const format = one('_outputFormat');
  if (format !== undefined && !NDJSON_FORMATS.includes(format)) {
    throw new FhirError('invalid', 'FHIR-0400-EXPORT-FORMAT', `_outputFormat ${format} is not supported; use one of ${NDJSON_FORMATS.join(', ')}`, { code: 'not-supported' });
  }
  const since = instant(one('_since'), '_since');
  const until = instant(one('_until'), '_until');
  const now = ctx.now().toISOString();

  const patientParam = params.get('patient');
  if (patientParam && req.method !== 'POST') throw bad('PATIENT', 'The patient parameter is taken in a POST kick-off only');
  if (patientParam && level === 'system') throw bad('PATIENT', 'The patient parameter applies to Patient/$export and Group/[id]/$export');
  const patients = patientParam?.map((ref) => {
    const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
    if (!m) throw bad('PATIENT', `patient must be a reference to a Patient, got "${ref.slice(0, 80)}"`);
    return m[1];
  });

  const associated = list('includeAssociatedData');
  if (associated.length && !lenient) {
    throw new FhirError('invalid', 'FHIR-0400-EXPORT-ASSOCIATED', `includeAssociatedData ${associated.join(',')} is not supported by this server`, { code: 'not-supported' });
  }

  const organize = one('organizeOutputBy');
  if (organize !== undefined && organize !== 'Patient') {
    throw new FhirError('invalid', 'FHIR-0400-EXPORT-ORGANIZE', `organizeOutputBy ${organize} is not supported; only Patient is`, { code: 'not-supported' });
  }
  if (organize && level === 'system') throw bad('ORGANIZE', 'organizeOutputBy=Patient applies to Patient/$export and Group/[id]/$export');
  const partial = one('allowPartialManifests');
  if (partial !== undefined && partial !== 'true' && partial !== 'false') throw bad('PARAM', 'allowPartialManifests must be true or false');
  const deid = one('_deid');
  if (deid !== undefined && deid !== 'pseudonymised' && deid !== 'anonymised') throw bad('DEID', '_deid must be pseudonymised or anonymised');

  const eligible = eligibleGrant(grant, level);
  const mayRead = (type: string) => eligible.types(type);
  const compartment = new Set(ctx.registry.patientCompartmentTypes());
  const inScope = (t: string) => ctx.registry.isResourceType(t) && !EXCLUDED.has(t) && (level === 'system' || t === 'Patient' || compartment.has(t));
  const asked = list('_type');
  for (const t of asked) if (!ctx.registry.isResourceType(t)) throw bad('TYPE', `_type names an unknown resource type: ${t.slice(0, 64)}`);
  const candidates = asked.length ? [...new Set(asked)] : ctx.registry.resourceTypes().filter(inScope);
  const types = candidates.filter((t) => mayRead(t) && (asked.length === 0 || inScope(t) || level === 'system'));
  const refused = asked.length ? candidates.filter((t) => !mayRead(t)) : [];
  if (!types.length) {
    throw new FhirError('forbidden', 'FHIR-0403-EXPORT', 'The token may export none of the requested types: an export needs system/ read scopes (or, for Patient/$export, patient/ scopes)', {
      headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
    });
  }

  if (deid === 'anonymised') {
    // the risk is measured per person over the Patients released, over one release: not over increments
    if (!types.includes('Patient')) throw new FhirError('invalid', 'FHIR-0400-EXPORT-DEID', '_deid=anonymised needs Patient among the exported types: the risk is measured over the persons released', { code: 'not-supported' });
    if (since) throw new FhirError('invalid', 'FHIR-0400-EXPORT-DEID', '_deid=anonymised cannot be combined with _since: the risk of linking increments is not measured', { code: 'not-supported' });
  }

  const typeFilters: Record<string, string[]> = {};
  for (const filter of params.get('_typeFilter') ?? []) {
    const m = /^([A-Z][A-Za-z]+)\?(.+)$/s.exec(filter);
    if (!m) throw bad('TYPEFILTER', `_typeFilter must be Type?query, got "${filter.slice(0, 80)}"`);
    const [, type, query] = m;
    if (!types.includes(type)) continue; // a filter on a type not exported changes nothing
    try {
      checkTypeFilter(ctx, type, query);
    } catch (err) {
      if (lenient) continue;
      throw err;
    }
    (typeFilters[type] ??= []).push(query);
  }

  const elements = list('_elements');
  for (const e of elements) if (!/^([A-Z][A-Za-z]+\.)?[a-z][A-Za-z0-9]*$/.test(e)) throw bad('ELEMENTS', `_elements must list element names (or Type.element), got "${e.slice(0, 80)}"`);

  return {
    level,
    ...(extra.groupId ? { groupId: extra.groupId } : {}),
    requestUrl: requestUrl(ctx, req),
    types,
    refused,
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    transactionTime: now,
    storeVersion: extra.storeVersion,
    typeFilters,
    ...(elements.length ? { elements } : {}),
    ...(organize ? { organizeOutputBy: 'Patient' as const } : {}),
    allowPartialManifests: partial === 'true',
    lenient,
    ...(deid ? { deid } : {}),
    grant: eligible.persisted,
    ...(patients ? { patientParam: patients } : {}),
  };
}

/**
 * Who may export what: system/ read scopes at every level, and at Patient level the patient/ scopes
 * of a token with a launch patient (a person's right to a copy of their record). user/ scopes do not
 * export. The job keeps only those scopes, so the grant it is run under never reaches further.
 */
export function eligibleGrant(grant: Grant, level: ExportRequest['level']): { types(type: string): boolean; persisted: PersistedGrant } {
  const token = grant.token;
  if (!token) {
    // the server's own named context (FHIR_AUTH=none, the command line): everything its grant allows
    return { types: (t) => grant.allows('s', t), persisted: { system: grant.subject.system ?? 'export' } };
  }
  const kept = token.scope
    .split(/\s+/)
    .map((s) => parseResourceScope(s))
    .filter((s) => !!s && (s.context === 'system' || (level === 'patient' && s.context === 'patient' && !!token.patient)) && s.permissions.has('s'));
  const scope = kept.map((s) => s!.text).join(' ');
  return {
    types: (t) => kept.some((s) => (s!.resourceType === t || (s!.resourceType === '*' && !EXCLUDED.has(t))) && grant.allows('s', t)),
    persisted: { token: { clientId: token.clientId, scope, patient: token.patient, fhirUser: token.fhirUser } },
  };
}

/** A `_typeFilter` query must be a plain search on the type: known parameters, no result parameters. */
export function checkTypeFilter(ctx: Pick<RequestContext, 'registry' | 'config' | 'baseUrl' | 'now'>, type: string, query: string) {
  const q = [...new URLSearchParams(query)];
  const result = q.find(([k]) => RESULT_PARAMS.has(k.split(':')[0]));
  if (result) throw bad('TYPEFILTER', `_typeFilter may not use ${result[0]}`);
  return parseSearch(ctx.registry, [type], q, ctx.config, { handling: 'strict', baseUrl: ctx.baseUrl, now: ctx.now().getTime() }).where;
}

function instant(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (!INSTANT.test(value) || Number.isNaN(Date.parse(value))) throw bad('INSTANT', `${name} must be a FHIR instant (e.g. 2026-01-01T00:00:00Z), got "${value.slice(0, 40)}"`);
  return new Date(value).toISOString();
}

function requestUrl(ctx: RequestContext, req: FhirRequest): string {
  const query = new URLSearchParams(req.query).toString();
  return `${ctx.baseUrl}/${req.path.map(encodeURIComponent).join('/').replace(/%24/g, '$')}${query ? `?${query}` : ''}`;
}

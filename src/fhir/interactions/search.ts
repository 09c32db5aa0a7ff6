import { resolveIncludes } from '../search/include';
import { parseSearch, type ParsedSearch } from '../../search/parse';
import type { Predicate } from '../../search/plan';
import { executeSearch, searchOptions, storedValueSets } from '../search/run';
import { shapeResource } from '../../search/summary';
import { bundleJson, linkUrl, type RawEntry } from '../bundle';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { BundleLink, OperationOutcome } from '../types';
import { preferHandling, truncate } from '../util';

/**
 * search-type: GET [base]/[type]?params and POST [base]/[type]/_search (http.html#search), and the
 * Patient compartment form GET [base]/Patient/[id]/[type] (compartments.html).
 */
export async function searchType(
  ctx: RequestContext,
  req: FhirRequest,
  type: string,
  compartment?: { type: string; id: string }
): Promise<FhirResponse> {
  ctx.store.authorize('s', type);
  const extra: Predicate[] = [];
  let path = type;
  if (compartment) {
    if (compartment.type !== 'Patient') {
      // the client asked for something this server does not offer: a 4xx, not a server failure
      throw new FhirError('invalid', 'FHIR-0400-COMPARTMENT-UNSUPPORTED', `Only the Patient compartment is supported, not ${compartment.type}`, { code: 'not-supported' });
    }
    if (type !== 'Patient' && ctx.registry.patientCompartmentParams(type).length === 0) {
      throw new FhirError('invalid', 'FHIR-0400-COMPARTMENT', `${type} is not in the Patient compartment`);
    }
    extra.push(type === 'Patient' ? { kind: 'id', ids: [compartment.id] } : { kind: 'compartment', compartments: [`Patient/${compartment.id}`] });
    path = `Patient/${compartment.id}/${type}`;
  }
  return runSearch(ctx, req, [type], path, extra, false);
}

/** search-system: GET [base]?_type=A,B&params (http.html#search); without _type, every type the grants allow. */
export async function searchSystem(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const query = searchQuery(req);
  const typeValues = query.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  for (const t of typeValues) {
    if (!ctx.registry.isResourceType(t)) throw new FhirError('invalid', 'FHIR-0400-TYPE', `Unknown resource type "${truncate(t)}" in _type`);
  }
  const types = typeValues.length ? [...new Set(typeValues)] : ctx.registry.resourceTypes();
  if (typeValues.length) for (const t of types) ctx.store.authorize('s', t);
  return runSearch(ctx, req, types, '', [], true, typeValues.length ? [['_type', types.join(',')]] : []);
}

async function runSearch(
  ctx: RequestContext,
  req: FhirRequest,
  types: string[],
  path: string,
  extra: Predicate[],
  system: boolean,
  echo: [string, string][] = []
): Promise<FhirResponse> {
  const query = searchQuery(req);
  const valueSets = await storedValueSets(ctx.store, query);
  const parsed = parseSearch(ctx.registry, types, query, ctx.config, searchOptions(ctx, preferHandling(req.headers), { valueSets, system }));
  parsed.applied.unshift(...echo);
  if (parsed.summary === 'count') {
    parsed.count = 0;
    parsed.total = 'accurate';
  }
  const page = await executeSearch(ctx.store, { ...parsed, where: [...parsed.where, ...extra] });
  const entries: RawEntry[] = page.records.map((r) => ({
    fullUrl: `${ctx.baseUrl}/${r.resourceType}/${r.id}`,
    resourceJson: shapeResource(ctx.registry, r.json as string, parsed.summary, parsed.elements),
    search: { mode: 'match' },
  }));
  const included = await resolveIncludes(ctx, ctx.store, page.records, parsed.include, parsed.revinclude);
  for (const r of included) {
    entries.push({
      fullUrl: `${ctx.baseUrl}/${r.resourceType}/${r.id}`,
      resourceJson: shapeResource(ctx.registry, r.json as string, parsed.summary, parsed.elements),
      search: { mode: 'include' },
    });
  }
  const outcome = ignoredOutcome(parsed);
  if (outcome) entries.push({ resourceJson: JSON.stringify(outcome), search: { mode: 'outcome' } });
  return { status: 200, json: bundleJson({ type: 'searchset', total: page.total, link: links(ctx, path, parsed, page) }, entries) };
}

/** GET parameters, or for POST _search the form body (plus any URL parameters). */
function searchQuery(req: FhirRequest): [string, string][] {
  if (req.method !== 'POST') return req.query;
  if (req.contentType !== 'application/x-www-form-urlencoded') {
    throw new FhirError('unsupported-media-type', 'FHIR-0415-SEARCH', 'POST _search needs Content-Type application/x-www-form-urlencoded');
  }
  return [...req.query, ...((req.body as [string, string][] | undefined) ?? [])];
}

/** self: the parameters applied; next/previous: the same plus a cursor (always GETs, even after POST _search). */
function links(ctx: RequestContext, path: string, parsed: ParsedSearch, page: { next?: string; previous?: string }): BundleLink[] {
  const withCount: [string, string][] = [...parsed.applied, ['_count', String(parsed.count)]];
  const self = parsed.cursor ? [...withCount, ['_cursor', parsed.cursor] as [string, string]] : withCount;
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(ctx.baseUrl, path, self) }];
  if (page.next) link.push({ relation: 'next', url: linkUrl(ctx.baseUrl, path, [...withCount, ['_cursor', page.next]]) });
  if (page.previous) link.push({ relation: 'previous', url: linkUrl(ctx.baseUrl, path, [...withCount, ['_cursor', page.previous]]) });
  return link;
}

function ignoredOutcome(parsed: ParsedSearch): OperationOutcome | undefined {
  if (parsed.ignored.length === 0) return undefined;
  return {
    resourceType: 'OperationOutcome',
    issue: parsed.ignored.map((name) => ({
      severity: 'warning',
      code: 'not-supported',
      diagnostics: `Search parameter "${truncate(name)}" is unknown or not supported and was ignored`,
    })),
  };
}

import { parseSearch, type ParsedSearch } from '../../search/parse';
import { executeSearch } from '../../search/run';
import { bundleJson, linkUrl, type RawEntry } from '../bundle';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { BundleLink, OperationOutcome } from '../types';
import { preferHandling } from '../util';

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
  ctx.access.requireInteraction('s', type);
  const query = searchQuery(req);
  const parsed = parseSearch(ctx.registry, type, query, ctx.config, preferHandling(req.headers));
  if (!query.some(([k]) => k === '_total')) parsed.total = 'accurate';
  let path = type;
  if (compartment) {
    if (compartment.type !== 'Patient') {
      throw new FhirError('not-implemented', 'FHIR-0501-COMPARTMENT', `Only the Patient compartment is supported, not ${compartment.type}`);
    }
    if (type !== 'Patient' && ctx.registry.patientCompartmentParams(type).length === 0) {
      throw new FhirError('invalid', 'FHIR-0400-COMPARTMENT', `${type} is not in the Patient compartment`);
    }
    parsed.where.push(
      type === 'Patient' ? { kind: 'id', ids: [compartment.id] } : { kind: 'compartment', compartment: `Patient/${compartment.id}` }
    );
    path = `Patient/${compartment.id}/${type}`;
  }
  const page = await executeSearch(ctx, ctx.store, type, parsed);
  const entries: RawEntry[] = page.records.map((r) => ({
    fullUrl: `${ctx.baseUrl}/${r.resourceType}/${r.id}`,
    resourceJson: r.json,
    search: { mode: 'match' },
  }));
  const outcome = ignoredOutcome(parsed);
  if (outcome) entries.push({ resourceJson: JSON.stringify(outcome), search: { mode: 'outcome' } });
  return { status: 200, json: bundleJson({ type: 'searchset', total: page.total, link: links(ctx, path, parsed, page.next) }, entries) };
}

/** GET parameters, or for POST _search the form body (plus any URL parameters). */
function searchQuery(req: FhirRequest): [string, string][] {
  if (req.method !== 'POST') return req.query;
  if (req.contentType !== 'application/x-www-form-urlencoded') {
    throw new FhirError('unsupported-media-type', 'FHIR-0415-SEARCH', 'POST _search needs Content-Type application/x-www-form-urlencoded');
  }
  return [...req.query, ...((req.body as [string, string][] | undefined) ?? [])];
}

function links(ctx: RequestContext, path: string, parsed: ParsedSearch, next: string | undefined): BundleLink[] {
  const applied = parsed.applied.filter(([k]) => k !== '_count');
  const withCount: [string, string][] = [...applied, ['_count', String(parsed.count)]];
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(ctx.baseUrl, path, parsed.cursor ? [...withCount, ['_cursor', parsed.cursor]] : withCount) }];
  if (next) link.push({ relation: 'next', url: linkUrl(ctx.baseUrl, path, [...withCount, ['_cursor', next]]) });
  return link;
}

function ignoredOutcome(parsed: ParsedSearch): OperationOutcome | undefined {
  if (parsed.ignored.length === 0) return undefined;
  return {
    resourceType: 'OperationOutcome',
    issue: parsed.ignored.map((name) => ({
      severity: 'warning',
      code: 'not-supported',
      diagnostics: `Search parameter "${name}" is unknown or not supported and was ignored`,
    })),
  };
}

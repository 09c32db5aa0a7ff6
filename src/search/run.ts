import type { RequestContext } from '../fhir/context';
import type { Interaction } from '../fhir/access';
import { FhirError } from '../fhir/errors';
import type { ValueSet } from '../fhir/types';
import type { StoreReader } from '../storage/port';
import { badSearch } from './errors';
import { parseSearch, type ParseOptions, type ParsedSearch } from './parse';
import { InvalidCursorError, type Predicate, type SearchPage } from './plan';
import { expandValueSet, type SystemCode } from './terminology';

/**
 * The predicates the caller's grants add to every search of a type (DESIGN.md decision 5): the
 * patient compartment and granular scope criteria. Returns null when nothing may be returned.
 */
export function accessPredicates(ctx: RequestContext, resourceType: string, interaction: Interaction = 's'): Predicate[] | null {
  try {
    ctx.access.requireInteraction(interaction, resourceType);
  } catch (err) {
    if (err instanceof FhirError && err.category === 'forbidden') return null;
    throw err;
  }
  const restriction = ctx.access.searchRestriction(resourceType, interaction);
  if (restriction === 'none') return null;
  if (!restriction) return [];
  const out: Predicate[] = [];
  if (restriction.compartment) {
    out.push({ kind: 'compartment', compartment: `${restriction.compartment.resourceType}/${restriction.compartment.id}` });
  }
  if (restriction.anyOf?.length) {
    const any = restriction.anyOf.map((criteria): Predicate => {
      const parsed = parseSearch(ctx.registry, [resourceType], [...new URLSearchParams(criteria)], ctx.config, {
        handling: 'strict',
        baseUrl: ctx.baseUrl,
        now: ctx.now().getTime(),
      });
      return { kind: 'and', all: parsed.where };
    });
    out.push({ kind: 'or', any });
  }
  return out;
}

/** Parse options for a request: chains and `_has` see only what the grants allow. */
export function searchOptions(ctx: RequestContext, handling: 'strict' | 'lenient', extra: Partial<ParseOptions> = {}): ParseOptions {
  return { handling, baseUrl: ctx.baseUrl, now: ctx.now().getTime(), access: (t) => accessPredicates(ctx, t), ...extra };
}

/** ValueSets stored on the server that `:in`/`:not-in` parameters name, fetched ahead of parsing. */
export async function storedValueSets(ctx: RequestContext, reader: StoreReader, query: [string, string][]): Promise<Map<string, SystemCode[] | null>> {
  const out = new Map<string, SystemCode[] | null>();
  const urls = query.filter(([k]) => /:(in|not-in)$/.test(k)).flatMap(([, v]) => v.split(','));
  const access = accessPredicates(ctx, 'ValueSet');
  if (!urls.length || access === null) return out;
  for (const url of urls.slice(0, 10)) {
    const page = await reader.search({
      resourceTypes: ['ValueSet'],
      where: [{ kind: 'uri', code: 'url', match: 'exact', values: [url.split('|')[0]] }, ...access],
      count: 1,
      total: 'none',
    });
    const json = page.records[0]?.json;
    if (json) out.set(url, expandValueSet(JSON.parse(json) as ValueSet));
  }
  return out;
}

/**
 * Runs a parsed search with the caller's access predicates compiled in, per type: a type the grants
 * do not cover contributes nothing.
 */
export async function executeSearch(
  ctx: RequestContext,
  reader: StoreReader,
  parsed: Pick<ParsedSearch, 'resourceTypes' | 'where' | 'count' | 'cursor' | 'total' | 'sort'>
): Promise<SearchPage> {
  const visible: string[] = [];
  const restrictions: Predicate[][] = [];
  for (const type of parsed.resourceTypes) {
    const access = accessPredicates(ctx, type);
    if (access === null) continue;
    visible.push(type);
    restrictions.push(access);
  }
  if (visible.length === 0) return { records: [], ...(parsed.total !== 'none' ? { total: 0 } : {}) };
  const uniform = restrictions.every((r) => JSON.stringify(r) === JSON.stringify(restrictions[0]));
  const access: Predicate[] = uniform
    ? restrictions[0]
    : [{ kind: 'or', any: visible.map((t, i): Predicate => ({ kind: 'and', all: [{ kind: 'type', types: [t] }, ...restrictions[i]] })) }];
  try {
    return await reader.search({
      resourceTypes: visible,
      where: [...parsed.where, ...access],
      sort: parsed.sort,
      count: parsed.count,
      after: parsed.cursor,
      total: parsed.total,
    });
  } catch (err) {
    if (err instanceof InvalidCursorError) throw badSearch('CURSOR', 'The paging cursor is not valid for this search');
    throw err;
  }
}

/** Finds the resources matching conditional criteria (If-None-Exist, conditional update/delete), at most `limit`. */
export async function matchCriteria(
  ctx: RequestContext,
  reader: StoreReader,
  resourceType: string,
  criteria: string,
  limit = 2
): Promise<SearchPage['records']> {
  const query = [...new URLSearchParams(criteria.startsWith('?') ? criteria.slice(1) : criteria)];
  const parsed = parseSearch(ctx.registry, [resourceType], query, ctx.config, searchOptions(ctx, 'strict'));
  if (parsed.where.length === 0) {
    throw new FhirError('invalid', 'FHIR-0400-CRITERIA', 'Conditional criteria must contain at least one search parameter');
  }
  const page = await executeSearch(ctx, reader, { ...parsed, count: limit, cursor: undefined, total: 'none', sort: [] });
  return page.records;
}

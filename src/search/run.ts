import type { RequestContext } from '../fhir/context';
import type { Interaction } from '../fhir/access';
import type { StoreReader } from '../storage/port';
import { FhirError } from '../fhir/errors';
import { parseSearch, type ParsedSearch } from './parse';
import type { Predicate, SearchPage } from './plan';

/**
 * The predicates the caller's grants add to every search of a type (DESIGN.md decision 5): the
 * patient compartment and granular scope criteria. Returns null when nothing may be returned.
 */
export function accessPredicates(ctx: RequestContext, resourceType: string, interaction: Interaction = 's'): Predicate[] | null {
  const restriction = ctx.access.searchRestriction(resourceType, interaction);
  if (restriction === 'none') return null;
  if (!restriction) return [];
  const out: Predicate[] = [];
  if (restriction.compartment) {
    out.push({ kind: 'compartment', compartment: `${restriction.compartment.resourceType}/${restriction.compartment.id}` });
  }
  if (restriction.anyOf?.length) {
    const any = restriction.anyOf.map((criteria): Predicate => {
      const parsed = parseSearch(ctx.registry, resourceType, [...new URLSearchParams(criteria)], ctx.config, 'strict');
      return { kind: 'and', all: parsed.where };
    });
    out.push({ kind: 'or', any });
  }
  return out;
}

/** Runs a parsed search of one type with the caller's access predicates compiled in. */
export async function executeSearch(
  ctx: RequestContext,
  reader: StoreReader,
  resourceType: string,
  parsed: Pick<ParsedSearch, 'where' | 'count' | 'cursor' | 'total'>
): Promise<SearchPage> {
  const restriction = accessPredicates(ctx, resourceType);
  if (restriction === null) return { records: [], ...(parsed.total === 'accurate' ? { total: 0 } : {}) };
  return reader.search({
    resourceTypes: [resourceType],
    where: [...parsed.where, ...restriction],
    count: parsed.count,
    after: parsed.cursor,
    total: parsed.total,
  });
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
  const parsed = parseSearch(ctx.registry, resourceType, query, ctx.config, 'strict');
  if (parsed.where.length === 0) {
    throw new FhirError('invalid', 'FHIR-0400-CRITERIA', 'Conditional criteria must contain at least one search parameter');
  }
  const page = await executeSearch(ctx, reader, resourceType, { ...parsed, count: limit, cursor: undefined, total: 'none' });
  return page.records;
}

import type { RequestContext } from '../context';
import { FhirError } from '../errors';
import type { ValueSet } from '../types';
import type { GuardedStore, GuardedSearchOptions } from '../../guard/guarded-store';
import { InvalidCursorError, type SearchPage } from '../../storage/port';
import { badSearch } from '../../search/errors';
import { parseSearch, type ParseOptions, type ParsedSearch } from '../../search/parse';
import { expandValueSet, type SystemCode } from '../../search/terminology';

/** Parse options for a request. */
export function searchOptions(ctx: RequestContext, handling: 'strict' | 'lenient', extra: Partial<ParseOptions> = {}): ParseOptions {
  return { handling, baseUrl: ctx.config.baseUrl, now: ctx.now().getTime(), ...extra };
}

/** ValueSets stored on the server that `:in`/`:not-in` parameters name, fetched (as the caller may see them) ahead of parsing. */
export async function storedValueSets(store: GuardedStore, query: [string, string][]): Promise<Map<string, SystemCode[] | null>> {
  const out = new Map<string, SystemCode[] | null>();
  const urls = query.filter(([k]) => /:(in|not-in)$/.test(k)).flatMap(([, v]) => v.split(','));
  for (const url of urls.slice(0, 10)) {
    const page = await store.search({ resourceTypes: ['ValueSet'], where: [{ kind: 'uri', code: 'url', match: 'exact', values: [url.split('|')[0]] }], count: 1, total: 'none' });
    const json = page.records[0]?.json;
    if (json) out.set(url, expandValueSet(JSON.parse(json) as ValueSet));
  }
  return out;
}

/** Runs a parsed search through the guarded store: a type the grant does not cover contributes nothing. */
export async function executeSearch(
  store: GuardedStore,
  parsed: Pick<ParsedSearch, 'resourceTypes' | 'where' | 'count' | 'cursor' | 'total' | 'sort'>,
  options: GuardedSearchOptions = {}
): Promise<SearchPage> {
  try {
    return await store.search(
      { resourceTypes: parsed.resourceTypes, where: parsed.where, sort: parsed.sort, count: parsed.count, after: parsed.cursor, total: parsed.total },
      options
    );
  } catch (err) {
    if (err instanceof InvalidCursorError) throw badSearch('CURSOR', 'The paging cursor is not valid for this search');
    throw err;
  }
}

/** Finds the resources matching conditional criteria (If-None-Exist, conditional update/delete), at most `limit`, among what the caller may see. */
export async function matchCriteria(
  ctx: RequestContext,
  store: GuardedStore,
  resourceType: string,
  criteria: string,
  limit = 2
): Promise<SearchPage['records']> {
  const query = [...new URLSearchParams(criteria.startsWith('?') ? criteria.slice(1) : criteria)];
  const parsed = parseSearch(ctx.registry, [resourceType], query, ctx.config, searchOptions(ctx, 'strict'));
  if (parsed.where.length === 0) {
    throw new FhirError('invalid', 'FHIR-0400-CRITERIA', 'Conditional criteria must contain at least one search parameter');
  }
  const page = await executeSearch(store, { ...parsed, count: limit, cursor: undefined, total: 'none', sort: [] });
  return page.records;
}

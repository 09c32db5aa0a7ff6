import type { RequestContext } from '../../fhir/context';
import type { Resource } from '../../fhir/types';
import { parseSearch } from '../../search/parse';
import { executeSearch } from '../../fhir/search/run';

/** At most this many resources of one type are read for one profile (newest first where sorted). */
export const PER_TYPE_LIMIT = 2000;

/**
 * Resources of one type matching a query, through the guarded store like any search, paged through
 * the store's cursor up to a limit, so a patient with a long history is read in bounded pages.
 */
export async function find<T extends Resource>(ctx: RequestContext, type: string, query: string, limit = PER_TYPE_LIMIT): Promise<T[]> {
  const parsed = parseSearch(ctx.registry, [type], [...new URLSearchParams(query)], { defaultCount: 500, maxCount: 500 }, {
    handling: 'strict',
    baseUrl: ctx.config.baseUrl,
    now: ctx.now().getTime(),
  });
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await executeSearch(ctx.store, { ...parsed, count: Math.min(500, limit - out.length), cursor, total: 'none' });
    out.push(...page.records.map((r) => JSON.parse(r.json as string) as T));
    cursor = page.next;
  } while (cursor && out.length < limit);
  return out;
}

/** How many resources match, counted by the store (for comparisons with peers). */
export async function count(ctx: RequestContext, type: string, query: string): Promise<number> {
  const parsed = parseSearch(ctx.registry, [type], [...new URLSearchParams(query)], ctx.config, {
    handling: 'strict',
    baseUrl: ctx.config.baseUrl,
    now: ctx.now().getTime(),
  });
  const page = await executeSearch(ctx.store, { ...parsed, count: 0, total: 'accurate' });
  return page.total ?? 0;
}

export const EXT = 'http://insured.example.org/fhir/StructureDefinition/';

export function extValue(r: Resource, name: string): any {
  const ext = (r as { extension?: { url: string; [k: string]: unknown }[] }).extension?.find((e) => e.url === `${EXT}${name}`);
  if (!ext) return undefined;
  const key = Object.keys(ext).find((k) => k.startsWith('value'));
  return key ? ext[key] : undefined;
}

export function dayMs(n: number): number {
  return n * 24 * 3600 * 1000;
}

import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { RequestContext } from '../context';
import type { Resource } from '../types';
import type { GuardedStore } from '../../guard/guarded-store';
import type { VersionRecord } from '../../storage/port';
import { referenceRows } from '../../search/extract-values';
import type { Predicate } from '../../search/plan';
import type { IncludeSpec } from '../../search/result-params';

/** Caps on what `_include`/`_revinclude` may add to one page. */
export const INCLUDE_LIMITS = { iterateDepth: 3, included: 1000, idsPerQuery: 100 };

interface Loaded {
  record: VersionRecord;
  resource: Resource;
}

/**
 * `_include` and `_revinclude` (search.html#include) for one page of matches, with `:iterate` up to
 * a fixed depth. Every included resource is loaded through the guarded store as a read of its own
 * type, so the grant's predicates are part of the query that loads it.
 * A reference to a deleted or unknown resource includes nothing.
 */
export async function resolveIncludes(
  ctx: RequestContext,
  store: GuardedStore,
  matches: VersionRecord[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[]
): Promise<VersionRecord[]> {
  if (!include.length && !revinclude.length) return [];
  const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
  const out: VersionRecord[] = [];
  let current: Loaded[] = matches.filter((r) => r.json).map((record) => ({ record, resource: JSON.parse(record.json as string) as Resource }));
  for (let depth = 0; depth <= INCLUDE_LIMITS.iterateDepth && current.length; depth++) {
    const wanted = new Map<string, Set<string>>();
    for (const spec of include) {
      if (depth > 0 && !spec.iterate) continue;
      for (const { resource } of current) {
        if (spec.sourceType !== '*' && resource.resourceType !== spec.sourceType) continue;
        for (const ref of references(ctx, resource, spec)) {
          const [type, id] = ref.split('/');
          if (!seen.has(ref)) (wanted.get(type) ?? wanted.set(type, new Set()).get(type))?.add(id);
        }
      }
    }
    const next: Loaded[] = [];
    for (const [type, ids] of wanted) {
      next.push(...(await load(store, type, [{ kind: 'id', ids: [...ids] }], ids.size)));
    }
    for (const spec of revinclude) {
      if ((depth > 0 && !spec.iterate) || spec.sourceType === '*') continue;
      const targets = current.map(({ record }) => `${record.resourceType}/${record.id}`);
      for (const code of revCodes(ctx, spec)) {
        for (let i = 0; i < targets.length; i += INCLUDE_LIMITS.idsPerQuery) {
          const any: Predicate[] = targets.slice(i, i + INCLUDE_LIMITS.idsPerQuery).map((reference) => ({ kind: 'reference', code, reference }));
          next.push(...(await load(store, spec.sourceType, [{ kind: 'or', any }], INCLUDE_LIMITS.included)));
        }
      }
    }
    current = [];
    for (const item of next) {
      const key = `${item.record.resourceType}/${item.record.id}`;
      if (seen.has(key) || out.length >= INCLUDE_LIMITS.included) continue;
      seen.add(key);
      out.push(item.record);
      current.push(item);
    }
  }
  return out;
}

/** Loads live resources of one type through the guarded store, as reads. */
async function load(store: GuardedStore, type: string, where: Predicate[], count: number): Promise<Loaded[]> {
  const page = await store.search({ resourceTypes: [type], where, count: Math.min(count, INCLUDE_LIMITS.included), total: 'none' }, { interaction: 'r' });
  return page.records.map((record) => ({ record, resource: JSON.parse(record.json as string) as Resource }));
}

/** Local `Type/id` references of a resource through one include parameter (or all, for `*`). */
function references(ctx: RequestContext, resource: Resource, spec: IncludeSpec): string[] {
  const params =
    spec.code === '*'
      ? ctx.registry.searchParameters(resource.resourceType).filter((p) => p.type === 'reference')
      : [ctx.registry.searchParameter(resource.resourceType, spec.code)].filter((p) => p !== undefined);
  const out: string[] = [];
  const input = [toTypedValue(resource)];
  for (const param of params) {
    if (!param.expression) continue;
    let values;
    try {
      values = evalFhirPathTyped(param.expression, input);
    } catch {
      continue;
    }
    for (const tv of values) {
      if (tv.value === undefined || tv.value === null) continue;
      for (const row of referenceRows(param.code, tv.type, tv.value, ctx.config.baseUrl)) {
        if (row.type !== 'reference' || !row.targetType || !row.targetId) continue;
        if (spec.targetType && row.targetType !== spec.targetType) continue;
        if (!ctx.registry.isResourceType(row.targetType)) continue;
        out.push(`${row.targetType}/${row.targetId}`);
      }
    }
  }
  return out;
}

function revCodes(ctx: RequestContext, spec: IncludeSpec): string[] {
  if (spec.code !== '*') return [spec.code];
  return ctx.registry.searchParameters(spec.sourceType).filter((p) => p.type === 'reference').map((p) => p.code);
}

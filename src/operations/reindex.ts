import type { DefinitionRegistry } from '../definitions/registry';
import type { Parameters, Resource } from '../fhir/types';
import { patientCompartments } from '../fhir/compartments';
import { extractIndexRows } from '../search/extract';
import type { IndexMaintenance, ReindexItem, StoreReader } from '../storage/port';
import type { OperationHandler } from './registry';

export interface ReindexResult {
  /** Current resources read. */
  resources: number;
  /** Resources whose rows were replaced (others changed meanwhile and were indexed by that write). */
  updated: number;
}

/**
 * Re-extracts the search-index rows of every current resource (of `types`, default all) with the
 * SearchParameters the registry holds now, in batches, while the server keeps serving. Paging is
 * pinned like a search, so resources written meanwhile are indexed by their own write instead.
 */
export async function reindex(
  deps: { registry: DefinitionRegistry; store: Pick<StoreReader, 'search'>; maintenance: IndexMaintenance; baseUrl: string },
  options: { types?: string[]; batch?: number; onBatch?: (done: number, total: number) => void } = {}
): Promise<ReindexResult> {
  const types = options.types ?? deps.registry.resourceTypes();
  const batch = options.batch ?? 500;
  const result: ReindexResult = { resources: 0, updated: 0 };
  let after: string | undefined;
  let total = 0;
  do {
    const page = await deps.store.search({ resourceTypes: types, where: [], count: batch, after, total: after ? 'none' : 'accurate' });
    if (page.total !== undefined) total = page.total;
    const items: ReindexItem[] = [];
    for (const record of page.records) {
      if (!record.json) continue;
      const resource = JSON.parse(record.json) as Resource;
      const index = extractIndexRows(deps.registry, resource, deps.baseUrl);
      items.push({ resourceType: record.resourceType, id: record.id, versionId: record.versionId, index, compartments: patientCompartments(deps.registry, resource, index) });
    }
    result.resources += items.length;
    result.updated += await deps.maintenance.replaceIndex(items);
    options.onBatch?.(result.resources, total);
    after = page.next;
  } while (after);
  if (!options.types) await deps.maintenance.reindexRequired(true);
  return result;
}

/**
 * $reindex at system level (every type) or type level (`POST [base]/Patient/$reindex`): for
 * administrators, after SearchParameters changed: it needs the privilege scope `system/$reindex`,
 * which no read or write scope implies. It runs to the end and answers with the counts.
 */
export const reindexOperation: OperationHandler = {
  code: 'reindex',
  definition: 'http://insured.example.org/fhir/OperationDefinition/reindex',
  system: true,
  type: true,
  resourceTypes: '*',
  affectsState: true,
  async handle(ctx, _req, target) {
    const maintenance = ctx.store.maintenance('reindex');
    // every resource, whoever it is about: the privilege's own system context, named for audit
    const store = ctx.store.asSystem('reindex');
    const started = Date.now();
    const result = await reindex({ registry: ctx.registry, store, maintenance, baseUrl: ctx.config.baseUrl }, target.resourceType ? { types: [target.resourceType] } : {});
    const out: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resources', valueInteger: result.resources },
        { name: 'updated', valueInteger: result.updated },
        { name: 'milliseconds', valueInteger: Date.now() - started },
      ],
    };
    return { status: 200, resource: out };
  },
};

import type { RequestContext } from '../fhir/context';
import type { Resource } from '../fhir/types';
import { patientCompartments } from '../fhir/compartments';
import { matches, UnmatchablePredicateError } from '../guard/match';
import { extractIndexRows } from '../search/extract';
import { parseSearch } from '../search/parse';
import type { Predicate } from '../search/plan';
import { checkTypeFilter, type ExportRequest } from './request';

export type PlanContext = Pick<RequestContext, 'registry' | 'config' | 'baseUrl' | 'now'>;

/**
 * What one type contributes to an export: modified in (`_since`, transactionTime] and before
 * `_until`, about the export's patients, and matching one of the type's `_typeFilter` queries.
 * Access is not decided here: every page runs through the guarded store of the job's grant.
 */
export function typeWhere(ctx: PlanContext, req: ExportRequest, type: string): Predicate[] {
  const updated: [string, string][] = [['_lastUpdated', `le${req.transactionTime}`]];
  if (req.since) updated.push(['_lastUpdated', `gt${req.since}`]);
  if (req.until) updated.push(['_lastUpdated', `lt${req.until}`]);
  const where = parseSearch(ctx.registry, [type], updated, ctx.config, { handling: 'strict', baseUrl: ctx.baseUrl, now: ctx.now().getTime() }).where;
  if (req.patients) where.push(aboutPatients(type, req.patients));
  where.push(...filterWhere(ctx, req, type));
  return where;
}

/** The type's `_typeFilter` queries, OR-ed (a type without any is not filtered). */
export function filterWhere(ctx: PlanContext, req: ExportRequest, type: string): Predicate[] {
  const filters = req.typeFilters[type];
  if (!filters?.length) return [];
  const any = filters.map((q): Predicate => ({ kind: 'and', all: checkTypeFilter(ctx, type, q) }));
  return [any.length === 1 ? any[0] : { kind: 'or', any }];
}

export function aboutPatients(type: string, patients: string[]): Predicate {
  return type === 'Patient' ? { kind: 'id', ids: patients } : { kind: 'compartment', compartments: patients.map((p) => `Patient/${p}`) };
}

/**
 * Whether a deleted resource's last content belonged in the export (its patients, its type's
 * filters), judged on that content's index rows; a filter that needs other resources (a chain) cannot
 * be judged on one version, and the deletion is then reported.
 */
export function deletedBelongs(ctx: PlanContext, req: ExportRequest, prior: Resource): boolean {
  const where = [...(req.patients ? [aboutPatients(prior.resourceType, req.patients)] : []), ...filterWhere(ctx, req, prior.resourceType)];
  if (!where.length) return true;
  const index = extractIndexRows(ctx.registry, prior, ctx.baseUrl);
  try {
    return matches(where, { resourceType: prior.resourceType, id: prior.id as string, index, compartments: patientCompartments(ctx.registry, prior, index) });
  } catch (err) {
    if (err instanceof UnmatchablePredicateError) return true;
    throw err;
  }
}

/** `_elements` for one type: bare names, and `Type.name` of this type; undefined: the whole resource. */
export function elementsFor(req: ExportRequest, type: string): string[] | undefined {
  if (!req.elements) return undefined;
  const names = req.elements.flatMap((e) => {
    const dot = e.indexOf('.');
    if (dot < 0) return [e];
    return e.slice(0, dot) === type ? [e.slice(dot + 1)] : [];
  });
  return names.length ? names : undefined;
}

import { evalFhirPathTyped, parseFhirPath, toTypedValue, type FhirPathAtom, type TypedValue } from '@medplum/core';
import type { DefinitionRegistry, SearchParamEntry } from '../definitions/registry';
import type { Resource } from '../fhir/types';
import type { IndexRow } from './index-rows';
import { clip, foldString } from './normalize';
import { compileSimplePath, evalSimplePath, type SimplePath } from './simple-path';
import { implicitSystem } from './elements';
import {
  compositeSecond,
  dateRangesOf,
  numbersOf,
  ofTypeTokens,
  quantityRows,
  referenceRows,
  stringsOf,
  tokensOf,
} from './extract-values';

/**
 * Index extraction at write time: evaluates every SearchParameter of the resource's type (FHIRPath
 * through @medplum/core, each expression parsed once per type) and turns what it yields into
 * normalised index rows, one per value. `localBase`: this server's FHIR base URL (see referenceRows).
 */
export function extractIndexRows(registry: DefinitionRegistry, resource: Resource, localBase?: string): IndexRow[] {
  const rows: IndexRow[] = [];
  let input: TypedValue[] | undefined;
  for (const { param, expression, path } of extractionPlan(registry, resource.resourceType)) {
    let values: TypedValue[] | undefined;
    try {
      // a plain path walked directly (see simple-path.ts); anything else through the FHIRPath evaluator
      values = (path && evalSimplePath(path, resource)) ?? evalFhirPathTyped(expression, (input ??= [toTypedValue(resource)]));
    } catch {
      continue; // an expression that cannot apply to this instance indexes nothing
    }
    const before = rows.length;
    for (const tv of values) {
      if (tv.value === undefined || tv.value === null) continue;
      if (param.type === 'composite') compositeRows(rows, registry, resource.resourceType, param, tv);
      else valueRows(rows, param, tv, resource.resourceType, localBase);
    }
    // equal rows can only come from one parameter (each row carries its code)
    if (rows.length - before > 1) rows.splice(before, rows.length - before, ...dedupe(rows.slice(before)));
  }
  return rows;
}

interface PlannedParameter {
  readonly param: SearchParamEntry;
  readonly expression: FhirPathAtom;
  readonly path: SimplePath | undefined;
}

const plans = new WeakMap<DefinitionRegistry, { generation: number; byType: Map<string, PlannedParameter[]> }>();

/** The type's parameters with their expressions, compiled once per registry generation. */
function extractionPlan(registry: DefinitionRegistry, resourceType: string): PlannedParameter[] {
  let cache = plans.get(registry);
  if (!cache || cache.generation !== registry.generation) plans.set(registry, (cache = { generation: registry.generation, byType: new Map() }));
  let plan = cache.byType.get(resourceType);
  if (!plan) {
    plan = [];
    for (const param of registry.searchParameters(resourceType)) {
      if (param.code === '_id') continue; // the logical id is the resource's own key in every store
      const expression = expressionFor(resourceType, param);
      if (expression) plan.push({ param, expression, path: compileSimplePath(resourceType, expression) });
    }
    cache.byType.set(resourceType, plan);
  }
  return plan;
}

const rewritten = new Map<string, FhirPathAtom | null>();

/**
 * The parameter's expression for this type. Parameters defined on Resource and DomainResource
 * (`Resource.meta.lastUpdated`) name the abstract type, which does not match a concrete resource in
 * FHIRPath evaluation; they are re-parsed with the concrete type.
 */
export function expressionFor(resourceType: string, param: SearchParamEntry): FhirPathAtom | undefined {
  const text = param.expressionText ?? '';
  if (!/^(Resource|DomainResource)\./.test(text)) return param.expression;
  const key = `${resourceType}.${param.code}`;
  let hit = rewritten.get(key);
  if (hit === undefined) {
    try {
      hit = parseFhirPath(text.replace(/^(Resource|DomainResource)\./, `${resourceType}.`));
    } catch {
      hit = null;
    }
    rewritten.set(key, hit);
  }
  return hit ?? undefined;
}

function valueRows(rows: IndexRow[], param: SearchParamEntry, tv: TypedValue, resourceType: string, localBase: string | undefined): void {
  const { code } = param;
  const v = tv.value;
  switch (param.type) {
    case 'string':
      for (const s of stringsOf(tv.type, v)) rows.push({ type: 'string', code, value: clip(foldString(s)), exact: clip(s) });
      return;
    case 'token':
      for (const t of tokensOf(tv.type, v, tv.type === 'code' ? implicitSystem(resourceType, param) : undefined)) {
        rows.push({ type: 'token', code, ...t });
      }
      if (tv.type === 'Identifier') for (const t of ofTypeTokens(v)) rows.push({ type: 'token', code: `${code}:of-type`, ...t });
      return;
    case 'reference':
      rows.push(...referenceRows(code, tv.type, v, localBase));
      return;
    case 'date':
      for (const [low, high] of dateRangesOf(tv.type, v)) rows.push({ type: 'date', code, low, high });
      return;
    case 'number':
      for (const n of numbersOf(tv.type, v)) rows.push({ ...n, code } as IndexRow);
      return;
    case 'quantity':
      rows.push(...quantityRows(code, tv.type, v));
      return;
    case 'uri':
      if (typeof v === 'string') rows.push({ type: 'uri', code, value: v });
      return;
    default:
      return;
  }
}

interface ComponentSpec {
  /** Parsed once; null when it does not parse (the composite then indexes nothing). */
  expression: FhirPathAtom | null;
  type: string;
}

const componentCache = new WeakMap<SearchParamEntry, ComponentSpec[] | null>();

/** The two components of a composite parameter, resolved through the registry (null if unusable). */
function components(registry: DefinitionRegistry, resourceType: string, param: SearchParamEntry): ComponentSpec[] | null {
  const hit = componentCache.get(param);
  if (hit !== undefined) return hit;
  const all = registry.searchParameters(resourceType);
  const specs = (param.definition.component ?? []).map((c) => {
    const target = all.find((p) => p.definition.url === c.definition);
    return target && c.expression ? { expression: parseComponent(c.expression), type: target.type } : undefined;
  });
  const result = specs.length === 2 && specs.every(Boolean) && specs[0]?.type === 'token' ? (specs as ComponentSpec[]) : null;
  componentCache.set(param, result);
  return result;
}

function parseComponent(text: string): FhirPathAtom | null {
  try {
    return parseFhirPath(text);
  } catch {
    return null;
  }
}

/** The type of a composite parameter's second component, when the composite can be indexed (token first). */
export function compositeSecondType(registry: DefinitionRegistry, resourceType: string, param: SearchParamEntry): string | undefined {
  return components(registry, resourceType, param)?.[1].type;
}

function compositeRows(rows: IndexRow[], registry: DefinitionRegistry, resourceType: string, param: SearchParamEntry, tv: TypedValue): void {
  const specs = components(registry, resourceType, param);
  if (!specs?.[0].expression || !specs[1].expression) return;
  let firsts: TypedValue[];
  let seconds: TypedValue[];
  try {
    firsts = evalFhirPathTyped(specs[0].expression, [tv]);
    seconds = evalFhirPathTyped(specs[1].expression, [tv]);
  } catch {
    return;
  }
  const a = firsts.flatMap((f) => tokensOf(f.type, f.value)).filter((t) => t.value !== null);
  const b = seconds.flatMap((s) => compositeSecond(specs[1].type, s.type, s.value));
  for (const first of a) {
    for (const second of b) rows.push({ type: 'composite', code: param.code, system1: first.system, value1: first.value, ...second });
  }
}

function dedupe(rows: IndexRow[]): IndexRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = Object.values(r).join('\u0001');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import { evalFhirPathTyped, toTypedValue, type TypedValue } from '@medplum/core';
import type { DefinitionRegistry, SearchParamEntry } from '../definitions/registry';
import type { Resource } from '../fhir/types';
import type { IndexRow } from './index-rows';
import { dateRange } from './dates';
import { foldString } from './normalize';

/**
 * Index extraction at write time: evaluates every SearchParameter of the resource's type and turns
 * what the FHIRPath yields into normalised index rows (one row per value).
 */
export function extractIndexRows(registry: DefinitionRegistry, resource: Resource): IndexRow[] {
  const rows: IndexRow[] = [];
  const input = [toTypedValue(resource)];
  for (const param of registry.searchParameters(resource.resourceType)) {
    if (!param.expression) continue;
    let values: TypedValue[];
    try {
      values = evalFhirPathTyped(param.expression, input);
    } catch {
      continue; // an expression that cannot apply to this instance indexes nothing
    }
    for (const tv of values) addRows(rows, param, tv);
  }
  return dedupe(rows);
}

function addRows(rows: IndexRow[], param: SearchParamEntry, tv: TypedValue): void {
  const { code } = param;
  const v = tv.value as any;
  if (v === undefined || v === null) return;
  switch (param.type) {
    case 'string':
      for (const s of stringsOf(tv.type, v)) rows.push({ type: 'string', code, value: foldString(s), exact: s });
      return;
    case 'token':
      for (const t of tokensOf(tv.type, v)) rows.push({ type: 'token', code, ...t });
      return;
    case 'reference':
      referenceRow(rows, code, tv.type, v);
      return;
    case 'date': {
      const range = dateRangeOf(tv.type, v);
      if (range) rows.push({ type: 'date', code, low: range[0], high: range[1] });
      return;
    }
    case 'uri':
      if (typeof v === 'string') rows.push({ type: 'uri', code, value: v });
      return;
    default:
      // number, quantity and composite parameters are indexed by the search engine's full extractor
      return;
  }
}

function stringsOf(type: string, v: any): string[] {
  if (typeof v === 'string') return [v];
  if (type === 'HumanName') return [v.text, v.family, ...(v.given ?? []), ...(v.prefix ?? []), ...(v.suffix ?? [])].filter(isString);
  if (type === 'Address')
    return [v.text, ...(v.line ?? []), v.city, v.district, v.state, v.postalCode, v.country].filter(isString);
  return [];
}

function tokensOf(type: string, v: any): { system: string | null; value: string | null; text: string | null }[] {
  switch (type) {
    case 'CodeableConcept':
      return (v.coding ?? []).length
        ? v.coding.flatMap((c: any) => tokensOf('Coding', { ...c, display: c.display ?? v.text }))
        : v.text
          ? [{ system: null, value: null, text: v.text }]
          : [];
    case 'Coding':
      return v.code || v.system ? [{ system: v.system ?? null, value: v.code ?? null, text: v.display ?? null }] : [];
    case 'Identifier':
      return v.value || v.system ? [{ system: v.system ?? null, value: v.value ?? null, text: v.type?.text ?? null }] : [];
    case 'ContactPoint':
      return v.value ? [{ system: v.system ?? null, value: v.value, text: null }] : [];
    case 'boolean':
      return [{ system: null, value: String(v), text: null }];
    default:
      return typeof v === 'string' ? [{ system: null, value: v, text: null }] : [];
  }
}

function referenceRow(rows: IndexRow[], code: string, type: string, v: any): void {
  const ref: unknown = typeof v === 'string' ? v : v.reference;
  if (typeof ref !== 'string' || ref.startsWith('#')) return;
  const local = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/.exec(ref);
  if (local) {
    rows.push({ type: 'reference', code, reference: `${local[1]}/${local[2]}`, targetType: local[1], targetId: local[2], version: local[3] ?? null });
    return;
  }
  const [url, version] = type === 'canonical' ? ref.split('|', 2) : [ref, undefined];
  rows.push({ type: 'reference', code, reference: url, targetType: null, targetId: null, version: version ?? null });
}

function dateRangeOf(type: string, v: any): [number, number] | undefined {
  if (typeof v === 'string') return dateRange(v);
  if (type === 'Period') {
    const low = v.start ? dateRange(v.start)?.[0] : -Infinity;
    const high = v.end ? dateRange(v.end)?.[1] : Infinity;
    return low !== undefined && high !== undefined ? [low, high] : undefined;
  }
  return undefined;
}

function isString(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

function dedupe(rows: IndexRow[]): IndexRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = JSON.stringify(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

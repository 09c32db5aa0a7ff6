import { ID_PATTERN } from '../fhir/util';
import type { CompositeRow, IndexRow, TokenRow } from './index-rows';
import { RANGE_MAX, RANGE_MIN } from './index-rows';
import { dateRange } from './dates';
import { clip, foldString, storedNumberRange } from './normalize';
import { UCUM, ucumBase } from './ucum';

/* Turns one FHIRPath result (its FHIR type and value) into index values, per SearchParameter type. */

type Json = any;

export function stringsOf(type: string, v: Json): string[] {
  if (typeof v === 'string') return [v];
  if (type === 'HumanName') return [v.text, v.family, ...(v.given ?? []), ...(v.prefix ?? []), ...(v.suffix ?? [])].filter(isText);
  if (type === 'Address') return [v.text, ...(v.line ?? []), v.city, v.district, v.state, v.postalCode, v.country].filter(isText);
  if (type === 'CodeableConcept') return [v.text, ...(v.coding ?? []).map((c: Json) => c.display)].filter(isText);
  if (type === 'Coding') return [v.display].filter(isText);
  return [];
}

export type TokenValue = Omit<TokenRow, 'type' | 'code'>;

/** Token values; `implicitSystem` is the CodeSystem of a `code` bound to a single-system required ValueSet. */
export function tokensOf(type: string, v: Json, implicitSystem?: string): TokenValue[] {
  switch (type) {
    case 'CodeableConcept': {
      const out: TokenValue[] = (v.coding ?? []).flatMap((c: Json) => tokensOf('Coding', c));
      if (isText(v.text)) out.push({ system: null, value: null, text: foldText(v.text) });
      return out;
    }
    case 'Coding':
      return v.code || v.system ? [{ system: v.system ?? null, value: v.code ?? null, text: isText(v.display) ? foldText(v.display) : null }] : [];
    case 'Identifier':
      return v.value || v.system
        ? [{ system: v.system ?? null, value: v.value ?? null, text: isText(v.type?.text) ? foldText(v.type.text) : null }]
        : [];
    case 'ContactPoint':
      return v.value ? [{ system: v.system ?? null, value: v.value, text: null }] : [];
    case 'boolean':
      return [{ system: null, value: String(v), text: null }];
    case 'Quantity':
      return v.code || v.unit ? [{ system: v.system ?? null, value: v.code ?? v.unit, text: null }] : [];
    default:
      if (typeof v === 'string') return [{ system: implicitSystem ?? null, value: v, text: null }];
      if (typeof v === 'number') return [{ system: null, value: String(v), text: null }];
      return [];
  }
}

/** `:of-type` values of an Identifier: system of the type coding, value `typeCode|identifierValue`. */
export function ofTypeTokens(v: Json): TokenValue[] {
  if (!v?.value) return [];
  return (v.type?.coding ?? [])
    .filter((c: Json) => c.code)
    .map((c: Json) => ({ system: c.system ?? null, value: `${c.code}|${v.value}`, text: null }));
}

const LOCAL_REF = new RegExp(`^([A-Z][A-Za-z]{1,63})/(${ID_PATTERN})(?:/_history/(${ID_PATTERN}))?$`);

/**
 * Reference rows, plus token rows of Reference.identifier (code `name:identifier`). An absolute URL
 * under `localBase` (this server's FHIR base) names a local resource and is indexed as `Type/id`, so
 * `subject=Patient/1`, chains, includes and compartments find it however the writer spelled it.
 */
export function referenceRows(code: string, type: string, v: Json, localBase?: string): IndexRow[] {
  const rows: IndexRow[] = [];
  if (type === 'Reference' && v.identifier && (v.identifier.value || v.identifier.system)) {
    rows.push({ type: 'token', code: `${code}:identifier`, ...tokensOf('Identifier', v.identifier)[0] });
  }
  const given: unknown = typeof v === 'string' ? v : v.reference;
  if (typeof given !== 'string' || given === '' || given.startsWith('#')) return rows;
  const relative = localBase && given.startsWith(`${localBase}/`) ? given.slice(localBase.length + 1) : undefined;
  const ref = relative !== undefined && LOCAL_REF.test(relative) ? relative : given;
  const local = LOCAL_REF.exec(ref);
  if (local && (type === 'Reference' || !ref.includes('|'))) {
    rows.push({ type: 'reference', code, reference: `${local[1]}/${local[2]}`, targetType: local[1], targetId: local[2], version: local[3] ?? null });
    return rows;
  }
  const bar = ref.indexOf('|');
  const [url, version] = bar >= 0 ? [ref.slice(0, bar), ref.slice(bar + 1)] : [ref, null];
  rows.push({ type: 'reference', code, reference: url, targetType: null, targetId: null, version: version || null });
  return rows;
}

/** Date ranges of a date, dateTime, instant, Period or Timing. */
export function dateRangesOf(type: string, v: Json): [number, number][] {
  if (typeof v === 'string') {
    const r = dateRange(v);
    return r ? [r] : [];
  }
  if (type === 'Period') {
    const low = v.start ? dateRange(v.start)?.[0] : RANGE_MIN;
    const high = v.end ? dateRange(v.end)?.[1] : RANGE_MAX;
    return low !== undefined && high !== undefined && (v.start || v.end) ? [[low, high]] : [];
  }
  if (type === 'Timing') {
    const out = (v.event ?? []).flatMap((e: string) => dateRangesOf('dateTime', e));
    if (v.repeat?.boundsPeriod) out.push(...dateRangesOf('Period', v.repeat.boundsPeriod));
    return out;
  }
  return [];
}

/** Rows of a quantity parameter: Quantity, Money, Age/Duration..., Range bounds; UCUM also in base units. */
export function quantityRows(code: string, type: string, v: Json): IndexRow[] {
  if (type === 'Range') {
    const lo = typeof v.low?.value === 'number' ? v.low.value : undefined;
    const hi = typeof v.high?.value === 'number' ? v.high.value : undefined;
    if (lo === undefined && hi === undefined) return [];
    const q = v.low ?? v.high;
    return [{ type: 'quantity', code, value: lo ?? (hi as number), low: lo ?? RANGE_MIN, high: hi ?? RANGE_MAX, system: q.system ?? null, unit: q.code ?? q.unit ?? null }];
  }
  if (typeof v === 'number') return [{ type: 'quantity', code, ...storedNumberRange(v), system: null, unit: null }];
  if (typeof v?.value !== 'number') return [];
  const unit = v.code ?? v.unit ?? v.currency ?? null;
  const system = v.system ?? (v.currency ? 'urn:iso:std:iso:4217' : null);
  const rows: IndexRow[] = [{ type: 'quantity', code, ...storedNumberRange(v.value), system, unit }];
  if (system === UCUM && typeof v.code === 'string') {
    const base = ucumBase(v.code);
    if (base) {
      const r = storedNumberRange(v.value);
      rows.push({ type: 'quantity', code: `${code}:canonical`, value: r.value * base.factor, low: r.low * base.factor, high: r.high * base.factor, system: UCUM, unit: base.unit });
    }
  }
  return rows;
}

export function numbersOf(type: string, v: Json): IndexRow[] {
  if (typeof v === 'number') return [{ type: 'number', code: '', ...storedNumberRange(v) }];
  if (type === 'Range' || typeof v?.value === 'number') return quantityRows('', type, v).map((q) => ({ type: 'number', code: '', value: (q as Json).value, low: (q as Json).low, high: (q as Json).high }));
  return [];
}

/** The second component of a composite value, by the component parameter's type. */
export function compositeSecond(type: string, valueType: string, v: Json): Omit<CompositeRow, 'type' | 'code' | 'system1' | 'value1'>[] {
  const blank = { system2: null, value2: null, num2: null, low2: null, high2: null };
  switch (type) {
    case 'token':
      return tokensOf(valueType, v).filter((t) => t.value !== null).map((t) => ({ ...blank, system2: t.system, value2: t.value }));
    case 'string':
      return stringsOf(valueType, v).map((s) => ({ ...blank, value2: clip(foldString(s)) }));
    case 'date':
      return dateRangesOf(valueType, v).map(([low2, high2]) => ({ ...blank, low2, high2 }));
    case 'quantity':
    case 'number':
      return quantityRows('', valueType, v).filter((q) => q.code === '').map((q: Json) => ({ ...blank, system2: q.system, value2: q.unit, num2: q.value, low2: q.low, high2: q.high }));
    case 'reference':
    case 'uri':
      return referenceRows('', valueType, v).filter((r) => r.type === 'reference').map((r: Json) => ({ ...blank, value2: r.reference }));
    default:
      return [];
  }
}

function isText(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

function foldText(s: string): string {
  return clip(foldString(s));
}

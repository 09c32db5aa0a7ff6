import { dateRange } from './dates';
import { badSearch, show } from './errors';
import { numberRange } from './normalize';
import type { RangeCondition, RangeTest } from './plan';

/** The comparison prefixes of number, date and quantity parameters (search.html#prefix). */
export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** Splits an optional prefix off a value ("ge2020" -> ['ge', '2020']). */
export function splitPrefix(raw: string): [Prefix, string] {
  const p = raw.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(p) && raw.length > 2) return [p as Prefix, raw.slice(2)];
  return ['eq', raw];
}

/**
 * The condition on stored [low, high) date ranges for a prefix and the searched range [pl, ph)
 * (search.html#date): eq means the stored range lies within the searched one, gt that it reaches
 * beyond its end, ge either of those, sa that it starts after, eb that it ends before.
 */
export function dateCondition(prefix: Prefix, pl: number, ph: number, now: number): RangeCondition {
  // a stored range is never empty (low < high), so "within" also bounds low to [pl, ph): an index range
  const within: RangeTest[] = [['low', '>=', pl], ['low', '<', ph], ['high', '<=', ph]];
  switch (prefix) {
    case 'eq':
      return { any: [within] };
    case 'ne':
      return { any: [[['low', '<', pl]], [['high', '>', ph]]] };
    case 'gt':
      return { any: [[['high', '>', ph]]] };
    case 'lt':
      return { any: [[['low', '<', pl]]] };
    case 'ge':
      return { all: [['high', '>', pl]], any: [[['high', '>', ph]], within] };
    case 'le':
      return { all: [['low', '<', ph]], any: [[['low', '<', pl]], within] };
    case 'sa':
      return { any: [[['low', '>=', ph]]] };
    case 'eb':
      return { any: [[['high', '<=', pl]]] };
    case 'ap': {
      // approximately: the searched range widened by 10% of its distance from now, at least a day
      const widen = Math.max(Math.abs(now - pl) * 0.1, 86_400_000);
      return { any: [[['low', '<', ph + widen], ['high', '>', pl - widen]]] };
    }
  }
}

/** Parses a date search value into its condition; 400 when it is not a FHIR date. */
export function parseDateValue(raw: string, now: number): RangeCondition {
  const [prefix, text] = splitPrefix(raw);
  const range = dateRange(text);
  if (!range) throw badSearch('DATE', `"${show(raw)}" is not a valid date search value (e.g. ge2020-01-01)`);
  return dateCondition(prefix, range[0], range[1], now);
}

/**
 * The condition on stored numbers for a prefix and a searched value with its implicit precision
 * range [pl, ph) (search.html#number): eq and ne compare with the range, the others with the value.
 */
export function numberCondition(prefix: Prefix, value: number, pl: number, ph: number): RangeCondition {
  switch (prefix) {
    case 'eq':
      return { any: [[['value', '>=', pl], ['value', '<', ph]]] };
    case 'ne':
      return { any: [[['value', '<', pl]], [['value', '>=', ph]]] };
    case 'gt':
    case 'sa':
      return { any: [[['value', '>', value]]] };
    case 'lt':
    case 'eb':
      return { any: [[['value', '<', value]]] };
    case 'ge':
      return { any: [[['value', '>=', value]]] };
    case 'le':
      return { any: [[['value', '<=', value]]] };
    case 'ap': {
      const d = Math.max(Math.abs(value) * 0.1, ph - pl);
      return { any: [[['value', '>=', value - d], ['value', '<=', value + d]]] };
    }
  }
}

/** Parses `[prefix]number`, returning the prefix and the number with its precision range. */
export function parseNumber(raw: string): { prefix: Prefix; value: number; low: number; high: number } {
  const [prefix, text] = splitPrefix(raw);
  const n = numberRange(text);
  if (!n) throw badSearch('NUMBER', `"${show(raw)}" is not a valid number search value (e.g. gt5.4)`);
  return { prefix, ...n };
}

/** Scales a number condition (for UCUM conversion to base units). */
export function scaleCondition(c: RangeCondition, factor: number): RangeCondition {
  const scale = (tests: RangeTest[]) => tests.map(([f, op, v]): RangeTest => [f, op, v * factor]);
  return { ...(c.all ? { all: scale(c.all) } : {}), any: c.any.map(scale) };
}

/**
 * Normalised search-index values, extracted once in the core at write time (DESIGN.md decision 2)
 * and stored as they are by every adapter. `code` is the SearchParameter's code; derived rows use
 * `code:identifier` (Reference.identifier, for `:identifier`), `code:of-type` (Identifier.type plus
 * value, for `:of-type`) and `code:canonical` (UCUM quantities in base units).
 */
export type IndexRow = StringRow | TokenRow | ReferenceRow | DateRow | NumberRow | QuantityRow | UriRow | CompositeRow;

/** `value` is case- and accent-folded (for the default starts-with match); `exact` is the original text. */
export interface StringRow {
  type: 'string';
  code: string;
  value: string;
  exact: string;
}

/**
 * A code with its system; `text` holds display/text (folded) for `:text`. A null system means "no
 * system". For `:of-type` rows, `system` is the type's system and `value` is `typeCode|value`.
 */
export interface TokenRow {
  type: 'token';
  code: string;
  system: string | null;
  value: string | null;
  text: string | null;
}

/** `reference` is 'Type/id' for local references, the absolute URL or canonical (without |version) otherwise. */
export interface ReferenceRow {
  type: 'reference';
  code: string;
  reference: string;
  targetType: string | null;
  targetId: string | null;
  /** Version: the _history part of a local reference or the |version of a canonical. */
  version: string | null;
}

/** A date, dateTime, instant, Period or Timing as the half-open range [low, high) in epoch milliseconds. */
export interface DateRow {
  type: 'date';
  code: string;
  low: number;
  high: number;
}

/** A number with its implicit precision range [low, high). */
export interface NumberRow {
  type: 'number';
  code: string;
  value: number;
  low: number;
  high: number;
}

/** A Quantity (or Range bound, Money...) with its precision range; `unit` is Quantity.code or else Quantity.unit. */
export interface QuantityRow {
  type: 'quantity';
  code: string;
  value: number;
  low: number;
  high: number;
  system: string | null;
  unit: string | null;
}

export interface UriRow {
  type: 'uri';
  code: string;
  value: string;
}

/**
 * One value of a composite SearchParameter: a token first component and a second component whose
 * fields depend on its type (token: system2/value2; string: value2 folded; date: low2/high2;
 * number and quantity: num2 with low2/high2, quantity also system2 and value2 as the unit).
 */
export interface CompositeRow {
  type: 'composite';
  code: string;
  system1: string | null;
  value1: string | null;
  system2: string | null;
  value2: string | null;
  num2: number | null;
  low2: number | null;
  high2: number | null;
}

/** Sentinels for open ends of ranges (finite, so every backend can store and compare them). */
export const RANGE_MIN = -8.64e15 - 1;
export const RANGE_MAX = 8.64e15 + 1;

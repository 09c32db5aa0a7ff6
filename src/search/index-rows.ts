/**
 * Normalised search-index values, extracted once in the core at write time (DESIGN.md decision 2)
 * and stored as they are by every adapter. `code` is the SearchParameter's code.
 */
export type IndexRow =
  | StringRow
  | TokenRow
  | ReferenceRow
  | DateRow
  | NumberRow
  | QuantityRow
  | UriRow;

/** `value` is case- and accent-folded (for the default starts-with match); `exact` is the original text. */
export interface StringRow {
  type: 'string';
  code: string;
  value: string;
  exact: string;
}

/** A code with its system; `text` holds display/text for `:text`. A null system means "no system". */
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

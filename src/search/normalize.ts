/** Case- and accent-folding for string search (search.html#string: "case-insensitive and accent-insensitive"). */
export function foldString(s: string): string {
  // ASCII needs no decomposition (the common case, and the hot path of index extraction)
  if (ASCII.test(s)) return s.toLowerCase();
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const ASCII = /^[\x00-\x7f]*$/;

/** Longest text kept in a string or token index row: enough for any name, bounded for the B-tree. */
export const MAX_INDEXED_TEXT = 512;

export function clip(s: string): string {
  return s.length > MAX_INDEXED_TEXT ? s.slice(0, MAX_INDEXED_TEXT) : s;
}

const NUMBER_RE = /^([+-]?)(\d{1,30})(?:\.(\d{1,30}))?(?:[eE]([+-]?\d{1,3}))?$/;

/**
 * A decimal's value with the implicit range of its precision (search.html#number): "100" stands for
 * [99.5, 100.5), "100.00" for [99.995, 100.005), "1e2" for [50, 150). Undefined for non-numbers.
 */
export function numberRange(text: string): { value: number; low: number; high: number } | undefined {
  const m = NUMBER_RE.exec(text);
  if (!m) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const decimals = (m[3]?.length ?? 0) - Number(m[4] ?? 0);
  let half = 0.5 * 10 ** -decimals;
  if (m[4] !== undefined) {
    // with an exponent the significant digits count: 1e2 is one digit, so ±0.5e2
    half = 0.5 * 10 ** (Number(m[4]) - (m[3]?.length ?? 0));
  }
  return { value, low: value - half, high: value + half };
}

/** A stored number's precision range from its shortest decimal text. */
export function storedNumberRange(value: number): { value: number; low: number; high: number } {
  return numberRange(String(value).replace(/e\+?/, 'e')) ?? { value, low: value, high: value };
}

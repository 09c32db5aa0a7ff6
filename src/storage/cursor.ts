import { InvalidCursorError } from './port';

/**
 * The keyset position a search page hands out as `next` or `previous`, shared by the adapters: the
 * pinned insertion sequence, the sort values and insertion number of the row it stands at. It is
 * opaque to clients (base64url JSON) and checked field by field when it comes back.
 */
export interface Cursor {
  /** Highest rid visible to this paging (the pin). */
  m: number;
  /** Sort values of the row the cursor stands at. */
  k: (string | number | null)[];
  /** rid of that row. */
  r: number;
  /** Backwards: the rows before it (for `previous`). */
  b?: true;
  /** The total counted on the first page. */
  t?: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string, keyCount: number): Cursor {
  if (text.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(text)) throw new InvalidCursorError();
  let c: any;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const okInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (
    !c || typeof c !== 'object' || !okInt(c.m) || !okInt(c.r) || !Array.isArray(c.k) || c.k.length !== keyCount ||
    (c.b !== undefined && c.b !== true) ||
    (c.t !== undefined && !okInt(c.t)) ||
    !c.k.every((v: unknown) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw new InvalidCursorError();
  }
  return { m: c.m, k: c.k, r: c.r, ...(c.b ? { b: true as const } : {}), ...(c.t !== undefined ? { t: c.t } : {}) };
}

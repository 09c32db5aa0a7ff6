import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SearchPlan } from '../search/plan';
import { InvalidCursorError } from './port';

/**
 * The keyset position a search page hands out as `next` or `previous`, shared by the adapters: the
 * pinned insertion sequence, the sort values and insertion number of the row it stands at, and the
 * total counted on the first page. It is opaque to clients: base64url JSON, then `.` and an
 * HMAC-SHA256 over it and the search it belongs to, under the store's cursor key. A cursor that was
 * edited (say, to make Bundle.total say something else), made up, or taken from another search or
 * another store is refused; it is checked field by field after that as well.
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

/** The part of a plan a cursor is bound to. */
export type CursorScope = Pick<SearchPlan, 'resourceTypes' | 'where' | 'sort'>;

const MAX_PAYLOAD = 4096;
const KEY_BYTES = 32;

/**
 * A new cursor key, as the text a store keeps. Each store creates one when it is first opened and
 * keeps it beside the data (SQLite: the `meta` table; MongoDB: the `meta` collection), so every
 * process on the same store, before and after a restart, signs and checks cursors alike.
 */
export function newCursorKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

/** The key a store kept (see newCursorKey). */
export function cursorKey(stored: string): Buffer {
  const key = Buffer.from(stored, 'base64url');
  if (key.length !== KEY_BYTES) throw new Error(`the stored cursor key is not ${KEY_BYTES} bytes of base64url`);
  return key;
}

export function encodeCursor(c: Cursor, key: Buffer, scope: CursorScope): string {
  const payload = Buffer.from(JSON.stringify(c)).toString('base64url');
  return `${payload}.${mac(key, payload, scope).toString('base64url')}`;
}

export function decodeCursor(text: string, key: Buffer, scope: CursorScope): Cursor {
  const dot = text.indexOf('.');
  const payload = text.slice(0, dot);
  if (dot < 0 || payload.length > MAX_PAYLOAD || !/^[A-Za-z0-9_-]+$/.test(payload)) throw new InvalidCursorError();
  const given = Buffer.from(text.slice(dot + 1), 'base64url');
  const expected = mac(key, payload, scope);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError();
  let c: any;
  try {
    c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const okInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (
    !c || typeof c !== 'object' || !okInt(c.m) || !okInt(c.r) || !Array.isArray(c.k) || c.k.length !== (scope.sort?.length ?? 0) ||
    (c.b !== undefined && c.b !== true) ||
    (c.t !== undefined && !okInt(c.t)) ||
    !c.k.every((v: unknown) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw new InvalidCursorError();
  }
  return { m: c.m, k: c.k, r: c.r, ...(c.b ? { b: true as const } : {}), ...(c.t !== undefined ? { t: c.t } : {}) };
}

/**
 * The signature of a cursor: over its payload and the search it pages (types, sort and predicates,
 * the grant's among them), so a cursor and its total cannot be carried over to another search.
 * Range conditions are left out, because `ap` widens its range by the distance from now, and so
 * moves between one page and the next.
 */
function mac(key: Buffer, payload: string, scope: CursorScope): Buffer {
  const search = JSON.stringify([scope.resourceTypes, scope.sort ?? [], scope.where], (k, v) => (k === 'condition' ? 0 : v));
  return createHmac('sha256', key).update(payload).update('\n').update(search).digest();
}

import type { DatabaseSync } from 'node:sqlite';
import type { VersionRecord } from '../port';
import { InvalidCursorError, type SearchPage, type SearchPlan, type SortKey } from '../../search/plan';
import { PredicateCompiler, type Param } from './compile';
import { TABLE_OF } from './schema';

/**
 * A search page over the current pointers: keyset paging on the sort keys and then rid (insertion
 * order), never OFFSET. The first page pins the highest rid; later pages see no resource created
 * after it, so paging neither repeats nor skips a match while writes go on (updates keep their rid).
 */
export function runSearch(db: DatabaseSync, plan: SearchPlan, toRecord: (row: any) => VersionRecord, versionColumns: string): SearchPage {
  const cursor = plan.after !== undefined ? decodeCursor(plan.after, plan.sort?.length ?? 0) : undefined;
  const maxRid = cursor?.m ?? (db.prepare('SELECT coalesce(max(rid), 0) AS m FROM resource').get() as { m: number }).m;
  const q = pageQuery(plan, maxRid, cursor, versionColumns);
  const page: SearchPage = { records: [] };
  let rows: any[] = [];
  if (plan.count > 0) {
    rows = db.prepare(q.sql).all(...q.params) as any[];
    page.records = rows.slice(0, plan.count).map(toRecord);
    if (rows.length > plan.count) {
      const last = rows[plan.count - 1];
      page.next = encodeCursor({ m: maxRid, k: q.keys.map((k) => last[k] ?? null), r: last.rid });
    }
  }
  if (plan.total !== 'none') {
    // a first page that is not full is the whole answer: no count query needed
    if (!cursor && plan.count > 0 && rows.length <= plan.count) page.total = rows.length;
    else page.total = (db.prepare(q.countSql).get(...q.countParams) as { n: number }).n;
  }
  return page;
}

/** EXPLAIN QUERY PLAN of the plan's page query (for tests that check index use). */
export function explainSearch(db: DatabaseSync, plan: SearchPlan, versionColumns: string): string[] {
  const q = pageQuery(plan, 0, undefined, versionColumns);
  return (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[]).map((r) => r.detail);
}

/** The page query: live matches up to the pinned rid, sort values computed once, keyset, LIMIT count + 1. */
function pageQuery(plan: SearchPlan, maxRid: number, cursor: Cursor | undefined, versionColumns: string) {
  const compiler = new PredicateCompiler();
  const where = compiler.where(plan.resourceTypes, plan.where, 'r');
  const whereParams = compiler.params;
  const keys = (plan.sort ?? []).map((k, i) => ({ sql: sortExpr(k), code: k.code, alias: `s${i}`, descending: k.descending }));
  const params: Param[] = [...keys.map((k) => k.code), ...whereParams, maxRid];
  // without sort keys the keyset is on rid alone and seeks inside the subquery
  let inner = '';
  if (cursor && keys.length === 0) {
    inner = ' AND r.rid > ?';
    params.push(cursor.r);
  }
  const keyset = cursor && keys.length ? keysetClause(keys, cursor, params) : '1';
  params.push(plan.count + 1);
  const order = [...keys.flatMap((k) => [`(q.${k.alias} IS NULL)`, `q.${k.alias} ${k.descending ? 'DESC' : 'ASC'}`]), 'q.rid'].join(', ');
  const sql =
    `SELECT q.rid AS rid${keys.map((k) => `, q.${k.alias} AS ${k.alias}`).join('')}, ${versionColumns} FROM ` +
    `(SELECT r.rid AS rid, r.sv AS sv${keys.map((k) => `, ${k.sql} AS ${k.alias}`).join('')} FROM resource r WHERE ${where} AND r.rid <= ?${inner}) q ` +
    `JOIN resource_version v ON v.sv = q.sv WHERE ${keyset} ORDER BY ${order} LIMIT ?`;
  return {
    sql,
    params,
    keys: keys.map((k) => k.alias),
    countSql: `SELECT count(*) AS n FROM resource r WHERE ${where} AND r.rid <= ?`,
    countParams: [...whereParams, maxRid],
  };
}

/** A resource's sort value for one key: the smallest value ascending, the largest descending. */
function sortExpr(key: SortKey): string {
  const agg = key.descending ? 'max' : 'min';
  const column =
    key.type === 'date' ? (key.descending ? 'high' : 'low') : key.type === 'reference' ? 'reference' : key.type === 'composite' ? 'value1' : 'value';
  return `(SELECT ${agg}(${column}) FROM ${TABLE_OF[key.type]} WHERE rid = r.rid AND code = ?)`;
}

interface Cursor {
  /** Highest rid visible to this paging (the pin). */
  m: number;
  /** Sort values of the last row. */
  k: (string | number | null)[];
  /** rid of the last row. */
  r: number;
}

/** Rows strictly after the cursor in the order (sort keys with nulls last, then rid). */
function keysetClause(keys: { alias: string; descending: boolean }[], cursor: Cursor, params: Param[]): string {
  const alternatives: string[] = [];
  const equal: string[] = [];
  const equalParams: Param[] = [];
  keys.forEach((k, i) => {
    const v = cursor.k[i];
    const col = `q.${k.alias}`;
    if (v !== null) {
      alternatives.push([...equal, `(${col} ${k.descending ? '<' : '>'} ? OR ${col} IS NULL)`].join(' AND '));
      params.push(...equalParams, v);
      equal.push(`${col} = ?`);
      equalParams.push(v);
    } else {
      equal.push(`${col} IS NULL`);
    }
  });
  alternatives.push([...equal, 'q.rid > ?'].join(' AND '));
  params.push(...equalParams, cursor.r);
  return `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string, keyCount: number): Cursor {
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
    !c.k.every((v: unknown) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw new InvalidCursorError();
  }
  return { m: c.m, k: c.k, r: c.r };
}

import type { DatabaseSync } from 'node:sqlite';
import type { VersionRecord } from '../port';
import { TOTAL_ESTIMATE_CAP, type SearchPlan, type SortKey } from '../../search/plan';
import type { SearchPage } from '../port';
import { decodeCursor, encodeCursor, type Cursor } from '../cursor';
import { PredicateCompiler, type Param } from './compile';
import { TABLE_OF } from './schema';

/**
 * A search page over the current pointers: keyset paging on the sort keys and then rid (insertion
 * order), never OFFSET. The first page pins the highest rid; later pages see no resource created
 * after it, so paging neither repeats nor skips a match while writes go on (updates keep their rid).
 * A `previous` cursor pages backwards from the first row of a page with the order reversed.
 */
export function runSearch(db: DatabaseSync, plan: SearchPlan, toRecord: (row: any) => VersionRecord, versionColumns: string, cursorKey: Buffer): SearchPage {
  const cursor = plan.after !== undefined ? decodeCursor(plan.after, cursorKey, plan) : undefined;
  const maxRid = cursor?.m ?? (db.prepare('SELECT coalesce(max(rid), 0) AS m FROM resource').get() as { m: number }).m;
  const q = pageQuery(plan, maxRid, cursor, versionColumns);
  const page: SearchPage = { records: [] };
  let rows: any[] = [];
  // the total of the pinned snapshot, counted once and carried by the cursors
  let total: number | undefined = plan.total === 'none' ? undefined : cursor?.t;
  if (plan.count > 0) {
    rows = db.prepare(q.sql).all(...q.params) as any[];
    if (plan.total !== 'none' && total === undefined && !cursor && rows.length <= plan.count) total = rows.length;
    if (plan.total !== 'none' && total === undefined) total = count(db, q, plan.total);
    const more = rows.length > plan.count;
    const shown = rows.slice(0, plan.count);
    if (cursor?.b) shown.reverse();
    page.records = shown.map(toRecord);
    const position = (row: any, b?: true): string =>
      encodeCursor({ m: maxRid, k: q.keys.map((k) => row[k] ?? null), r: row.rid, ...(b ? { b } : {}), ...(total !== undefined ? { t: total } : {}) }, cursorKey, plan);
    if (shown.length) {
      // forwards there is a next page when more rows came; backwards we came from one
      if (cursor?.b ? true : more) page.next = position(shown[shown.length - 1]);
      if (cursor?.b ? more : cursor !== undefined) page.previous = position(shown[0], true);
    }
  }
  if (plan.total !== 'none' && plan.count === 0) total = count(db, q, plan.total);
  if (total !== undefined) page.total = total;
  return page;
}

/**
 * Counts the matches (a first page that is not full is the whole answer and needs no count); for an
 * estimate, no more than TOTAL_ESTIMATE_CAP + 1 of them, and no total beyond the cap.
 */
function count(db: DatabaseSync, q: { matchSql: string; countParams: Param[] }, total: 'estimate' | 'accurate'): number | undefined {
  const sql = total === 'accurate' ? `SELECT count(*) AS n FROM (${q.matchSql})` : `SELECT count(*) AS n FROM (${q.matchSql} LIMIT ${TOTAL_ESTIMATE_CAP + 1})`;
  const n = (db.prepare(sql).get(...q.countParams) as { n: number }).n;
  if (total === 'accurate') return n;
  return n > TOTAL_ESTIMATE_CAP ? undefined : n;
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
  const back = cursor?.b === true;
  const keys = (plan.sort ?? []).map((k, i) => ({ ...sortExpr(k, compiler.driven), code: k.code, alias: `s${i}`, descending: k.descending }));
  const params: Param[] = [...keys.filter((k) => k.bindsCode).map((k) => k.code), ...whereParams, maxRid];
  // without sort keys the keyset is on rid alone and seeks inside the subquery
  let inner = '';
  if (cursor && keys.length === 0) {
    inner = ` AND r.rid ${back ? '<' : '>'} ?`;
    params.push(cursor.r);
  }
  const keyset = cursor && keys.length ? keysetClause(keys, cursor, params) : '1';
  params.push(plan.count + 1);
  // when a column key leads the order, its index should serve it: the pin must not claim the index
  const pinned = keys[0]?.notNull && !compiler.driven ? '+r.rid' : 'r.rid';
  // nulls last forwards; backwards every term flips
  const dir = (descending: boolean) => ((descending !== back) ? 'DESC' : 'ASC');
  const order = [
    ...keys.flatMap((k) => [...(k.notNull ? [] : [`(q.${k.alias} IS NULL) ${dir(false)}`]), `q.${k.alias} ${dir(k.descending)}`]),
    `q.rid ${dir(false)}`,
  ].join(', ');
  const sql =
    `SELECT q.rid AS rid${keys.map((k) => `, q.${k.alias} AS ${k.alias}`).join('')}, ${versionColumns} FROM ` +
    `(SELECT r.rid AS rid, r.sv AS sv${keys.map((k) => `, ${k.sql} AS ${k.alias}`).join('')} FROM resource r WHERE ${where} AND ${pinned} <= ?${inner}) q ` +
    `JOIN resource_version v ON v.sv = q.sv WHERE ${keyset} ORDER BY ${order} LIMIT ?`;
  return {
    sql,
    params,
    keys: keys.map((k) => k.alias),
    /** The live matches up to the pinned rid, one row each: what a total counts. */
    matchSql: `SELECT 1 FROM resource r WHERE ${where} AND r.rid <= ?`,
    countParams: [...whereParams, maxRid],
  };
}

/**
 * A resource's sort value for one key: the smallest value ascending, the largest descending.
 * `_id` is the id column; `_lastUpdated` is the store version of the current version, the commit
 * sequence that stamps lastUpdated, so a (resource_type, deleted, sv) index serves the order.
 */
function sortExpr(key: SortKey, driven: boolean): { sql: string; notNull: boolean; bindsCode: boolean } {
  // when a selective term drives, `+ 0`/`|| ''` keep SQLite from walking the column's index instead
  if (key.code === '_id') return { sql: driven ? "(r.id || '')" : 'r.id', notNull: true, bindsCode: false };
  if (key.code === '_lastUpdated') return { sql: driven ? '(r.sv + 0)' : 'r.sv', notNull: true, bindsCode: false };
  const agg = key.descending ? 'max' : 'min';
  const column =
    key.type === 'date' ? (key.descending ? 'high' : 'low') : key.type === 'reference' ? 'reference' : key.type === 'composite' ? 'value1' : 'value';
  return { sql: `(SELECT ${agg}(${column}) FROM ${TABLE_OF[key.type]} WHERE rid = r.rid AND code = ?)`, notNull: false, bindsCode: true };
}

/**
 * Rows strictly after (or with `b`, before) the cursor's row in the order: sort keys with nulls
 * last, then rid. Parameters are pushed in the order they appear in the text.
 */
function keysetClause(keys: { alias: string; descending: boolean; notNull: boolean }[], cursor: Cursor, params: Param[]): string {
  const back = cursor.b === true;
  const alternatives: string[] = [];
  const equal: string[] = [];
  const equalParams: Param[] = [];
  keys.forEach((k, i) => {
    const v = cursor.k[i];
    const col = `q.${k.alias}`;
    const beyond = k.descending !== back ? '<' : '>';
    if (v !== null) {
      alternatives.push([...equal, back || k.notNull ? `${col} ${beyond} ?` : `(${col} ${beyond} ? OR ${col} IS NULL)`].join(' AND '));
      params.push(...equalParams, v);
      equal.push(`${col} = ?`);
      equalParams.push(v);
    } else {
      // nulls come last: before a null every non-null row, after it none
      if (back) {
        alternatives.push([...equal, `${col} IS NOT NULL`].join(' AND '));
        params.push(...equalParams);
      }
      equal.push(`${col} IS NULL`);
    }
  });
  alternatives.push([...equal, `q.rid ${back ? '<' : '>'} ?`].join(' AND '));
  params.push(...equalParams, cursor.r);
  return `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

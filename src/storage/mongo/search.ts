import { TOTAL_ESTIMATE_CAP, type IndexType, type SearchPlan, type SortKey } from '../../search/plan';
import type { SearchPage } from '../port';
import { decodeCursor, encodeCursor, type Cursor } from '../cursor';
import type { DocCollection, TxSession } from './collections';
import { FilterCompiler } from './compile';
import { FIELD_OF, fromResourceDoc, RECORD_PROJECTION, type MongoDocument, type ResourceDoc } from './documents';

/**
 * A search page on the `resources` collection with the same paging contract as the embedded store:
 * keyset paging on the sort keys and then `rid` (insertion order), never skip. The first page pins
 * the highest store version; later pages see no resource created after it, so paging neither
 * repeats nor skips a match while writes go on. A `previous` cursor pages backwards.
 *
 * Without sort keys the page is a `find` in `rid` order. With sort keys it is an aggregation that
 * computes each match's sort values from its index rows (the smallest ascending, the largest
 * descending, nulls last), then applies the keyset and sorts; `_id` and `_lastUpdated` sort on
 * the `id` and `sv` fields directly.
 */
export async function runSearch(
  resources: DocCollection<ResourceDoc>,
  session: TxSession | undefined,
  plan: SearchPlan,
  pin: () => Promise<number>,
  cursorKey: Buffer
): Promise<SearchPage> {
  const cursor = plan.after !== undefined ? decodeCursor(plan.after, cursorKey, plan) : undefined;
  const maxRid = cursor?.m ?? (await pin());
  const filter = { $and: [await new FilterCompiler(resources, session).where(plan.resourceTypes, plan.where), { rid: { $lte: maxRid } }] };
  // an estimate counts no more than TOTAL_ESTIMATE_CAP + 1, and gives no total beyond the cap
  const countAll = async (): Promise<number | undefined> => {
    if (plan.total === 'accurate') return resources.countDocuments(filter, { session });
    const n = await resources.countDocuments(filter, { session, limit: TOTAL_ESTIMATE_CAP + 1 });
    return n > TOTAL_ESTIMATE_CAP ? undefined : n;
  };
  const page: SearchPage = { records: [] };
  let total: number | undefined = plan.total === 'none' ? undefined : cursor?.t;
  if (plan.count > 0) {
    const keys = (plan.sort ?? []).map((k, i) => sortKey(k, i));
    const rows = keys.length
      ? await sortedPage(resources, session, filter, keys, cursor, plan.count + 1)
      : await resources
          .find(cursor ? { $and: [filter, { rid: { [cursor.b ? '$lt' : '$gt']: cursor.r } }] } : filter, {
            projection: RECORD_PROJECTION,
            sort: { rid: cursor?.b ? -1 : 1 },
            limit: plan.count + 1,
            session,
          })
          .toArray();
    if (plan.total !== 'none' && total === undefined) total = !cursor && rows.length <= plan.count ? rows.length : await countAll();
    const more = rows.length > plan.count;
    const shown = rows.slice(0, plan.count);
    if (cursor?.b) shown.reverse();
    page.records = shown.map(fromResourceDoc);
    // sorted pages carry their computed sort values as extra fields
    const position = (row: ResourceDoc, b?: true): string =>
      encodeCursor(
        {
          m: maxRid,
          k: keys.map((k) => ((row as unknown as MongoDocument)[k.alias] ?? null) as string | number | null),
          r: row.rid as number,
          ...(b ? { b } : {}),
          ...(total !== undefined ? { t: total } : {}),
        },
        cursorKey,
        plan
      );
    if (shown.length) {
      if (cursor?.b ? true : more) page.next = position(shown[shown.length - 1]);
      if (cursor?.b ? more : cursor !== undefined) page.previous = position(shown[0], true);
    }
  }
  if (plan.total !== 'none' && plan.count === 0) total = await countAll();
  if (total !== undefined) page.total = total;
  return page;
}

interface Key {
  alias: string;
  /** The aggregation expression of the sort value. */
  expr: unknown;
  descending: boolean;
  notNull: boolean;
}

const SORT_COLUMN: Record<IndexType, string> = {
  string: 'v',
  token: 'v',
  reference: 'r',
  date: 'lo',
  number: 'v',
  quantity: 'v',
  uri: 'v',
  composite: 'v1',
};

function sortKey(key: SortKey, i: number): Key {
  const alias = `s${i}`;
  if (key.code === '_id') return { alias, expr: '$id', descending: key.descending, notNull: true };
  if (key.code === '_lastUpdated') return { alias, expr: '$sv', descending: key.descending, notNull: true };
  const column = key.type === 'date' && key.descending ? 'hi' : SORT_COLUMN[key.type];
  // the code is a literal: a value starting with '$' must not read as a field path
  const rowsOfCode = { $filter: { input: { $ifNull: [`$${FIELD_OF[key.type]}`, []] }, cond: { $eq: ['$$this.c', { $literal: key.code }] } } };
  return { alias, expr: { [key.descending ? '$max' : '$min']: { $map: { input: rowsOfCode, in: `$$this.${column}` } } }, descending: key.descending, notNull: false };
}

/** One page in sort-key order: nulls last, then rid; backwards every direction flips. */
async function sortedPage(
  resources: DocCollection<ResourceDoc>,
  session: TxSession | undefined,
  filter: MongoDocument,
  keys: Key[],
  cursor: Cursor | undefined,
  limit: number
): Promise<ResourceDoc[]> {
  const back = cursor?.b === true;
  const values: MongoDocument = {};
  const nullFlags: MongoDocument = {};
  for (const k of keys) {
    values[k.alias] = k.expr;
    if (!k.notNull) nullFlags[`${k.alias}n`] = { $cond: [{ $eq: [{ $ifNull: [`$${k.alias}`, null] }, null] }, 1, 0] };
  }
  const sort: Record<string, 1 | -1> = {};
  const up = (descending: boolean): 1 | -1 => (descending !== back ? -1 : 1);
  for (const k of keys) {
    if (!k.notNull) sort[`${k.alias}n`] = up(false);
    sort[k.alias] = up(k.descending);
  }
  sort.rid = up(false);
  // a stage's fields cannot see each other: the null flags read the values in a second stage
  const pipeline: MongoDocument[] = [{ $match: filter }, { $addFields: values }, ...(Object.keys(nullFlags).length ? [{ $addFields: nullFlags }] : [])];
  if (cursor) pipeline.push({ $match: keyset(keys, cursor) });
  pipeline.push({ $sort: sort }, { $limit: limit }, { $project: { ...RECORD_PROJECTION, ...Object.fromEntries(keys.map((k) => [k.alias, 1])) } });
  return resources.aggregate<ResourceDoc>(pipeline, { session }).toArray();
}

/** Rows strictly after (or with `b`, before) the cursor's row in the page order. */
function keyset(keys: Key[], cursor: Cursor): MongoDocument {
  const back = cursor.b === true;
  const alternatives: MongoDocument[] = [];
  const equal: MongoDocument[] = [];
  keys.forEach((k, i) => {
    const v = cursor.k[i];
    const beyond = k.descending !== back ? '$lt' : '$gt';
    if (v !== null) {
      // forwards a null (sorted last) is beyond any value; backwards it never is
      const past: MongoDocument = back || k.notNull ? { [k.alias]: { [beyond]: v } } : { $or: [{ [k.alias]: { [beyond]: v } }, { [`${k.alias}n`]: 1 }] };
      alternatives.push({ $and: [...equal, past] });
      equal.push({ [k.alias]: { $eq: v } });
    } else {
      if (back) alternatives.push({ $and: [...equal, { [`${k.alias}n`]: 0 }] });
      equal.push({ [`${k.alias}n`]: 1 });
    }
  });
  alternatives.push({ $and: [...equal, { rid: { [back ? '$lt' : '$gt']: cursor.r } }] });
  return { $or: alternatives };
}

import type { IndexRow } from '../../search/index-rows';
import type { VersionRecord } from '../port';

/**
 * The documents the MongoDB adapter stores (docs/scaling.md lists them with their indexes).
 *
 * `resources` holds one document per resource: its current version (JSON kept as a string, so no
 * key of a resource ever reaches MongoDB as a field name or an operator), its compartments and its
 * search-index values as arrays of small sub-documents, one array per parameter type, so compound
 * multikey indexes on (code, value...) serve the searches. `versions` holds every version,
 * immutable, keyed by the global store version. `counters` holds the store-version sequence.
 */

/** A filter, update or pipeline stage as MongoDB reads it. */
export type MongoDocument = Record<string, unknown>;

export interface ResourceDoc {
  /** 'Type/id', the same text a local Reference holds. */
  _id: string;
  t: string;
  id: string;
  /** Insertion number: the store version that first created the resource (paging order). */
  rid: number;
  /** Store version of the current version. */
  sv: number;
  vid: number;
  lu: string;
  del: boolean;
  m: VersionRecord['method'];
  json: string | null;
  /** Compartments, as 'Patient/123'. */
  cmp: string[];
  /** The shard key: the first patient compartment, or the resource itself for shared resources. */
  shard: string;
  str: { c: string; v: string; x: string }[];
  tok: { c: string; s: string | null; v: string | null; tx: string | null }[];
  ref: { c: string; r: string; tt: string | null; ti: string | null; ver: string | null }[];
  dt: { c: string; lo: number; hi: number }[];
  num: { c: string; v: number; lo: number; hi: number }[];
  qty: { c: string; v: number; lo: number; hi: number; s: string | null; u: string | null }[];
  uri: { c: string; v: string }[];
  cps: { c: string; s1: string | null; v1: string | null; s2: string | null; v2: string | null; n2: number | null; lo2: number | null; hi2: number | null }[];
}

export interface VersionDoc {
  /** The store version. */
  _id: number;
  t: string;
  id: string;
  vid: number;
  lu: string;
  del: boolean;
  m: VersionRecord['method'];
  json: string | null;
}

/** The array field of ResourceDoc holding each index row type. */
export const FIELD_OF = {
  string: 'str',
  token: 'tok',
  reference: 'ref',
  date: 'dt',
  number: 'num',
  quantity: 'qty',
  uri: 'uri',
  composite: 'cps',
} as const satisfies Record<IndexRow['type'], keyof ResourceDoc>;

export type IndexFields = Pick<ResourceDoc, (typeof FIELD_OF)[keyof typeof FIELD_OF]>;

/** The index arrays of a resource document, from the rows extracted by the core. */
export function indexFields(rows: readonly IndexRow[]): IndexFields {
  const f: IndexFields = { str: [], tok: [], ref: [], dt: [], num: [], qty: [], uri: [], cps: [] };
  for (const r of rows) {
    switch (r.type) {
      case 'string':
        f.str.push({ c: r.code, v: r.value, x: r.exact });
        break;
      case 'token':
        f.tok.push({ c: r.code, s: r.system, v: r.value, tx: r.text });
        break;
      case 'reference':
        f.ref.push({ c: r.code, r: r.reference, tt: r.targetType, ti: r.targetId, ver: r.version });
        break;
      case 'date':
        f.dt.push({ c: r.code, lo: r.low, hi: r.high });
        break;
      case 'number':
        f.num.push({ c: r.code, v: r.value, lo: r.low, hi: r.high });
        break;
      case 'quantity':
        f.qty.push({ c: r.code, v: r.value, lo: r.low, hi: r.high, s: r.system, u: r.unit });
        break;
      case 'uri':
        f.uri.push({ c: r.code, v: r.value });
        break;
      case 'composite':
        f.cps.push({ c: r.code, s1: r.system1, v1: r.value1, s2: r.system2, v2: r.value2, n2: r.num2, lo2: r.low2, hi2: r.high2 });
        break;
    }
  }
  return f;
}

/** The shard key of a resource: its (first) patient compartment keeps a patient's data on one shard. */
export function shardKey(resourceType: string, id: string, compartments: readonly string[]): string {
  if (resourceType === 'Patient') return `Patient/${id}`;
  return compartments.find((c) => c.startsWith('Patient/')) ?? `${resourceType}/${id}`;
}

export function fromResourceDoc(d: Pick<ResourceDoc, 't' | 'id' | 'sv' | 'vid' | 'lu' | 'del' | 'm' | 'json'>): VersionRecord {
  return toRecord(d.t, d.id, d.sv, d);
}

export function fromVersionDoc(d: VersionDoc): VersionRecord {
  return toRecord(d.t, d.id, d._id, d);
}

function toRecord(t: string, id: string, sv: number, d: Pick<VersionDoc, 'vid' | 'lu' | 'del' | 'm' | 'json'>): VersionRecord {
  return {
    resourceType: t,
    id,
    versionId: String(d.vid),
    lastUpdated: d.lu,
    storeVersion: sv,
    deleted: d.del,
    method: d.m,
    ...(d.json !== null ? { json: d.json } : {}),
  };
}

/** The fields a search or read returns (the index arrays stay in the database). */
export const RECORD_PROJECTION = { t: 1, id: 1, rid: 1, sv: 1, vid: 1, lu: 1, del: 1, m: 1, json: 1 } as const;

/**
 * The indexes, per collection (created by `npm run migrate` and at start when missing). Each array
 * index leads with the parameter code, so one index serves every parameter of its type.
 */
export const INDEXES: Record<'resources' | 'versions', { key: Record<string, 1 | -1>; name: string; unique?: boolean }[]> = {
  resources: [
    { key: { t: 1, del: 1, rid: 1 }, name: 'type_rid' },
    { key: { t: 1, del: 1, sv: 1 }, name: 'type_lastUpdated' },
    { key: { t: 1, id: 1 }, name: 'type_id' },
    { key: { cmp: 1, t: 1, rid: 1 }, name: 'compartment' },
    { key: { 'tok.c': 1, 'tok.v': 1, 'tok.s': 1 }, name: 'token' },
    { key: { 'tok.c': 1, 'tok.tx': 1 }, name: 'token_text' },
    { key: { 'str.c': 1, 'str.v': 1 }, name: 'string' },
    { key: { 'str.c': 1, 'str.x': 1 }, name: 'string_exact' },
    { key: { 'ref.c': 1, 'ref.r': 1 }, name: 'reference' },
    { key: { 'ref.c': 1, 'ref.ti': 1 }, name: 'reference_id' },
    { key: { 'dt.c': 1, 'dt.lo': 1, 'dt.hi': 1 }, name: 'date' },
    { key: { 'num.c': 1, 'num.v': 1 }, name: 'number' },
    { key: { 'qty.c': 1, 'qty.v': 1 }, name: 'quantity' },
    { key: { 'uri.c': 1, 'uri.v': 1 }, name: 'uri' },
    { key: { 'cps.c': 1, 'cps.v1': 1, 'cps.v2': 1 }, name: 'composite' },
  ],
  versions: [
    { key: { t: 1, id: 1, vid: 1 }, name: 'resource_version', unique: true },
    { key: { t: 1, _id: -1 }, name: 'type_history' },
    { key: { lu: 1 }, name: 'since' },
  ],
};

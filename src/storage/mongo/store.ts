import type { SearchPlan } from '../../search/plan';
import {
  VersionConflictError,
  type HistoryQuery,
  type ReindexItem,
  type SearchPage,
  type Store,
  type StoreSession,
  type VersionRecord,
  type WriteOp,
} from '../port';
import type { MongoBackend, TxSession } from './collections';
import { fromResourceDoc, fromVersionDoc, indexFields, INDEXES, RECORD_PROJECTION, shardKey, type MongoDocument, type ResourceDoc, type VersionDoc } from './documents';
import { QueuedStore } from '../base';
import type { JobStore, JobStoreProvider } from '../jobs';
import { MongoJobStore } from './jobs';
import { cursorKey, newCursorKey } from '../cursor';
import { runSearch } from './search';

/** Thrown at start when the MongoDB deployment cannot run multi-document transactions. */
export class MongoNotTransactionalError extends Error {
  constructor() {
    super(
      'MONGODB_URI points at a standalone MongoDB server. FHIR transaction Bundles need multi-document transactions, which MongoDB ' +
        'runs only on a replica set or a sharded cluster, so the server refuses to start rather than risk a half-written transaction. ' +
        'Start mongod as a single-node replica set (mongod --replSet rs0 --bind_ip_all), run rs.initiate() once in mongosh, and add ' +
        '?replicaSet=rs0 to MONGODB_URI; docker-compose.yml does exactly this.'
    );
    this.name = 'MongoNotTransactionalError';
  }
}

/** Snapshot reads and majority, journaled writes: a committed transaction survives a primary failover. */
const TRANSACTION_OPTIONS = { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority', j: true }, readPreference: 'primary' };
const ATTEMPTS = 5;

const key = (resourceType: string, id: string) => `${resourceType}/${id}`;

class MongoSession implements StoreSession {
  constructor(
    private readonly db: MongoBackend,
    private readonly cursorKey: Buffer,
    private readonly session?: TxSession
  ) {}

  async readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined> {
    const doc = await this.db.resources.findOne({ _id: key(resourceType, id) }, { projection: RECORD_PROJECTION, session: this.session });
    return doc ? fromResourceDoc(doc) : undefined;
  }

  async readVersion(resourceType: string, id: string, versionId: string): Promise<VersionRecord | undefined> {
    if (!/^\d{1,15}$/.test(versionId)) return undefined;
    const doc = await this.db.versions.findOne({ t: resourceType, id, vid: Number(versionId) }, { session: this.session });
    return doc ? fromVersionDoc(doc) : undefined;
  }

  async history(query: HistoryQuery): Promise<VersionRecord[]> {
    const docs = query.at
      ? await this.db.versions.aggregate<VersionDoc>([...currentAt(query), { $sort: { _id: -1 } }, { $limit: query.count }], { session: this.session }).toArray()
      : await this.db.versions.find(historyFilter(query), { sort: { _id: -1 }, limit: query.count, session: this.session }).toArray();
    return docs.map(fromVersionDoc);
  }

  async historyCount(query: Omit<HistoryQuery, 'count' | 'beforeStoreVersion'>): Promise<number> {
    if (!query.at) return this.db.versions.countDocuments(historyFilter(query), { session: this.session });
    const [row] = await this.db.versions.aggregate<{ n: number }>([...currentAt(query), { $count: 'n' }], { session: this.session }).toArray();
    return row?.n ?? 0;
  }

  search(plan: SearchPlan): Promise<SearchPage> {
    return runSearch(this.db.resources, this.session, plan, () => this.storeVersion(), this.cursorKey);
  }

  async storeVersion(): Promise<number> {
    return (await this.db.counters.findOne({ _id: 'sv' }, { session: this.session }))?.n ?? 0;
  }

  async write(ops: WriteOp[]): Promise<VersionRecord[]> {
    const session = this.session;
    if (!session) throw new Error('write outside a transaction');
    if (ops.length === 0) return [];
    // one increment reserves the store versions of the whole write set
    const counter = await this.db.counters.findOneAndUpdate({ _id: 'sv' }, { $inc: { n: ops.length } }, { upsert: true, returnDocument: 'after', session });
    let sv = (counter?.n ?? ops.length) - ops.length;
    const out: VersionRecord[] = [];
    for (const op of ops) {
      sv += 1;
      const current = await this.db.resources.findOne({ _id: key(op.resourceType, op.id) }, { projection: { vid: 1, del: 1, rid: 1 }, session });
      const expected = op.expectedVersionId;
      const matches = expected === null ? !current || current.del : !!current && String(current.vid) === expected;
      if (!matches) throw new VersionConflictError(op.resourceType, op.id);
      const version: VersionDoc = {
        _id: sv,
        t: op.resourceType,
        id: op.id,
        vid: Number(op.versionId),
        lu: op.lastUpdated,
        del: op.deleted,
        m: op.method,
        json: op.json ?? null,
      };
      await this.db.versions.insertOne(version, { session });
      const doc: ResourceDoc = {
        ...version,
        _id: key(op.resourceType, op.id),
        rid: current?.rid ?? sv,
        sv,
        cmp: op.deleted ? [] : op.compartments,
        shard: shardKey(op.resourceType, op.id, op.compartments),
        ...indexFields(op.deleted ? [] : op.index),
      };
      await this.db.resources.replaceOne({ _id: doc._id }, doc, { upsert: true, session });
      out.push(fromVersionDoc(version));
    }
    return out;
  }

  async purge(resourceType: string, through: number): Promise<number> {
    const session = this.session;
    if (!session) throw new Error('purge outside a transaction');
    // a resource document carries its index values: removing it removes them
    await this.db.resources.deleteMany({ t: resourceType, sv: { $lte: through } }, { session });
    return (await this.db.versions.deleteMany({ t: resourceType, _id: { $lte: through } }, { session })).deletedCount;
  }

  async replaceIndex(items: ReindexItem[]): Promise<number> {
    let n = 0;
    for (const item of items) {
      const set = { ...indexFields(item.index), cmp: item.compartments, shard: shardKey(item.resourceType, item.id, item.compartments) };
      const filter = { _id: key(item.resourceType, item.id), vid: Number(item.versionId), del: false };
      n += (await this.db.resources.updateOne(filter, { $set: set }, { session: this.session })).matchedCount;
    }
    return n;
  }
}

function historyFilter(q: Omit<HistoryQuery, 'count' | 'at'>): MongoDocument {
  const f: MongoDocument = {};
  if (q.resourceType) {
    f.t = q.resourceType;
    if (q.id) f.id = q.id;
  }
  if (q.since) f.lu = { $gte: q.since };
  if (q.beforeStoreVersion !== undefined || q.maxStoreVersion !== undefined) {
    f._id = { ...(q.beforeStoreVersion !== undefined ? { $lt: q.beforeStoreVersion } : {}), ...(q.maxStoreVersion !== undefined ? { $lte: q.maxStoreVersion } : {}) };
  }
  return f;
}

/** The versions current at `q.at` (the newest of each resource written by then), then the other filters. */
function currentAt(q: Omit<HistoryQuery, 'count'>): MongoDocument[] {
  const scope: MongoDocument = { lu: { $lte: q.at } };
  if (q.resourceType) {
    scope.t = q.resourceType;
    if (q.id) scope.id = q.id;
  }
  return [
    { $match: scope },
    { $sort: { _id: -1 } },
    { $group: { _id: { t: '$t', id: '$id' }, d: { $first: '$$ROOT' } } },
    { $replaceRoot: { newRoot: '$d' } },
    { $match: historyFilter({ ...q, resourceType: undefined }) },
  ];
}

function hasLabel(err: unknown, label: string): boolean {
  const e = err as { hasErrorLabel?: (l: string) => boolean; errorLabels?: string[] };
  return e?.hasErrorLabel?.(label) ?? e?.errorLabels?.includes(label) ?? false;
}

/** A duplicate key on a resource or version is two writers creating the same thing: a version conflict. */
function conflictOf(err: unknown): unknown {
  const e = err as { code?: number; keyValue?: { _id?: unknown; t?: unknown; id?: unknown } };
  if (e?.code !== 11000) return err;
  const k = e.keyValue ?? {};
  const [type, id] = typeof k._id === 'string' ? k._id.split('/') : [String(k.t ?? ''), String(k.id ?? '')];
  return new VersionConflictError(type, id ?? '');
}

/**
 * The MongoDB store (issue 8): the same port as the embedded store, on a replica set or sharded
 * cluster. Every write scope is one multi-document transaction with snapshot reads and majority,
 * journaled writes; a transient transaction error (a write conflict with another server process,
 * a failover) reruns the scope, as MongoDB's drivers recommend. Within one process, write scopes
 * run one at a time (QueuedStore).
 */
export class MongoStore extends QueuedStore implements Store, JobStoreProvider {
  readonly kind = 'mongodb';
  protected readonly readSession: MongoSession;
  private jobStore: MongoJobStore | undefined;

  private constructor(
    private readonly db: MongoBackend,
    private readonly cursorKey: Buffer
  ) {
    super();
    this.readSession = new MongoSession(db, cursorKey);
  }

  /** Checks that the deployment runs transactions, creates missing indexes, and opens the store. */
  static async open(db: MongoBackend): Promise<MongoStore> {
    const hello = await db.hello();
    if (!hello.setName && hello.msg !== 'isdbgrid') {
      await db.close();
      throw new MongoNotTransactionalError();
    }
    await prepareDatabase(db);
    return new MongoStore(db, await storeCursorKey(db));
  }

  /** The database, for the delivery port's adapter (mongo/delivery.ts), which keeps its own collections. */
  get database(): MongoBackend {
    return this.db;
  }

  /** The job table (storage/jobs.ts) as the `jobs` collection, its calls in the store's queue. */
  jobs(): JobStore {
    return (this.jobStore ??= new MongoJobStore(this.db.jobs, (fn) => this.enqueue(fn)));
  }

  currentStoreVersion(): Promise<number> {
    return this.readSession.storeVersion();
  }

  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.enqueue(() => this.attempt(fn, 1));
  }

  private async attempt<T>(fn: (session: StoreSession) => Promise<T>, attempt: number): Promise<T> {
    const session = this.db.startSession();
    try {
      session.startTransaction(TRANSACTION_OPTIONS);
      let result: T;
      try {
        result = await fn(new MongoSession(this.db, this.cursorKey, session));
      } catch (err) {
        await session.abortTransaction().catch(() => undefined);
        throw err;
      }
      await commit(session);
      return result;
    } catch (err) {
      if (attempt < ATTEMPTS && hasLabel(err, 'TransientTransactionError')) return this.attempt(fn, attempt + 1);
      throw conflictOf(err);
    } finally {
      await session.endSession();
    }
  }

  /** Replaces the index values of current versions (reindex); a resource changed since is left alone. */
  replaceIndex(items: ReindexItem[]): Promise<number> {
    return this.transaction((s) => (s as MongoSession).replaceIndex(items));
  }

  /** Documents carry their index values, so no layout migration ever leaves a reindex to do. */
  async reindexRequired(): Promise<boolean> {
    return false;
  }

  async ping(): Promise<void> {
    await this.db.hello();
  }

  async close(): Promise<void> {
    if (await this.drain()) await this.db.close();
  }
}

/**
 * The key that signs paging cursors, one document in `meta`: created by the first process to open the
 * database (a concurrent creator loses on the unique _id and reads the winner's), read by every other.
 */
async function storeCursorKey(db: MongoBackend): Promise<Buffer> {
  const kept = await db.meta.findOne({ _id: 'cursor-key' });
  if (kept) return cursorKey(kept.value);
  try {
    await db.meta.insertOne({ _id: 'cursor-key', value: newCursorKey() });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  return cursorKey((await db.meta.findOne({ _id: 'cursor-key' }))?.value ?? '');
}

/** Commits, retrying while the outcome is unknown (a failover during the commit). */
async function commit(session: TxSession, attempt = 1): Promise<void> {
  try {
    await session.commitTransaction();
  } catch (err) {
    if (attempt < ATTEMPTS && hasLabel(err, 'UnknownTransactionCommitResult')) return commit(session, attempt + 1);
    throw err;
  }
}

/**
 * Creates the indexes docs/scaling.md lists (MongoDB skips the ones that exist) and the store-version
 * counter, so that no transaction has to create a collection (which a cross-shard one may not).
 */
export async function prepareDatabase(db: MongoBackend): Promise<void> {
  await db.resources.createIndexes(INDEXES.resources);
  await db.versions.createIndexes(INDEXES.versions);
  await db.counters.findOneAndUpdate({ _id: 'sv' }, { $inc: { n: 0 } }, { upsert: true, returnDocument: 'after' });
}

import { aggregate, find, update } from 'mingo';
import type { CounterDoc, DocCollection, DocCursor, FindOptions, MetaDoc, MongoBackend, TxSession, WriteOptions } from '../../src/storage/mongo/collections';
import type { JobCollection } from '../../src/storage/mongo/jobs';
import type { MongoDocument, ResourceDoc, VersionDoc } from '../../src/storage/mongo/documents';

/**
 * The MongoDB stand-in: an in-process implementation of the narrow driver interface the MongoDB
 * adapter uses (src/storage/mongo/collections.ts), for the machines here, where no MongoDB server
 * can run. It is not MongoDB: it evaluates the adapter's own filter, sort, projection, pipeline
 * and update documents with mingo (a maintained implementation of MongoDB's query language), so
 * every query the adapter builds runs with MongoDB's semantics, but it has no real indexes, no
 * replication and a coarse transaction model: a transaction works on a snapshot of every
 * collection taken when it starts, its writes become visible at commit, and a commit that wrote a
 * collection another write changed since its start fails as a transient write conflict, as MongoDB
 * would report it (per collection, where MongoDB conflicts per document).
 * Unique indexes are enforced.
 */
type Doc = { _id: unknown } & MongoDocument;

class StandInSession implements TxSession {
  /** The transaction's own copy of each collection (copy-on-write: documents are never mutated in place). */
  working: Map<string, Doc[]> | undefined;
  /** The collections the transaction wrote. */
  written = new Set<string>();
  private startedAt = new Map<string, number>();

  constructor(private readonly db: MongoStandIn) {}

  startTransaction(): void {
    if (this.working) throw new Error('stand-in: a transaction is already in progress on this session');
    this.working = new Map([...this.db.committed].map(([name, docs]) => [name, [...docs]]));
    this.written = new Set();
    this.startedAt = new Map(this.db.collectionCommits);
  }

  async commitTransaction(): Promise<void> {
    const working = this.working;
    if (!working) throw new Error('stand-in: no transaction in progress');
    this.working = undefined;
    // a conflict is a collection this transaction wrote that another write changed since it started
    for (const name of this.written) {
      if ((this.db.collectionCommits.get(name) ?? 0) !== (this.startedAt.get(name) ?? 0)) {
        throw Object.assign(new Error('stand-in: write conflict with a transaction committed meanwhile'), { errorLabels: ['TransientTransactionError'] });
      }
    }
    for (const name of this.written) {
      this.db.committed.set(name, working.get(name) ?? []);
      this.db.bump(name);
    }
  }

  async abortTransaction(): Promise<void> {
    this.working = undefined;
  }

  async endSession(): Promise<void> {
    this.working = undefined;
  }
}

class StandInCollection<T extends Doc> implements DocCollection<T> {
  private readonly unique: string[][] = [['_id']];

  constructor(
    private readonly db: MongoStandIn,
    private readonly name: string
  ) {}

  private docs(options?: { session?: TxSession }): Doc[] {
    const working = (options?.session as StandInSession | undefined)?.working;
    return (working ?? this.db.committed).get(this.name) ?? [];
  }

  private store(options: { session?: TxSession } | undefined, docs: Doc[]): void {
    const session = options?.session as StandInSession | undefined;
    if (session?.working) {
      session.working.set(this.name, docs);
      session.written.add(this.name);
    } else {
      this.db.committed.set(this.name, docs);
      this.db.bump(this.name);
    }
  }

  async findOne(filter: MongoDocument, options?: FindOptions): Promise<T | null> {
    return (await this.find(filter, { ...options, limit: 1 }).toArray())[0] ?? null;
  }

  find(filter: MongoDocument, options?: FindOptions): DocCursor<T> {
    return {
      toArray: async () => {
        let cursor = find(this.docs(options), filter, options?.projection);
        if (options?.sort) cursor = cursor.sort(options.sort);
        if (options?.limit) cursor = cursor.limit(options.limit);
        return structuredClone(cursor.all()) as T[];
      },
    };
  }

  aggregate<R = MongoDocument>(pipeline: MongoDocument[], options?: { session?: TxSession }): DocCursor<R> {
    return { toArray: async () => structuredClone(aggregate(this.docs(options), pipeline)) as R[] };
  }

  async insertOne(doc: T, options?: WriteOptions): Promise<unknown> {
    const docs = this.docs(options);
    this.checkUnique(docs, doc);
    this.store(options, [...docs, structuredClone(doc)]);
    return { insertedId: doc._id };
  }

  async replaceOne(filter: MongoDocument, doc: T, options?: WriteOptions): Promise<unknown> {
    const docs = this.docs(options);
    const i = this.indexOf(docs, filter);
    if (i < 0 && !options?.upsert) return { matchedCount: 0 };
    const others = i < 0 ? docs : docs.filter((_, j) => j !== i);
    this.checkUnique(others, doc);
    this.store(options, i < 0 ? [...docs, structuredClone(doc)] : docs.map((d, j) => (j === i ? structuredClone(doc) : d)));
    return { matchedCount: i < 0 ? 0 : 1 };
  }

  async updateOne(filter: MongoDocument, change: MongoDocument, options?: WriteOptions): Promise<{ matchedCount: number }> {
    return { matchedCount: (await this.modify(filter, change, options)) ? 1 : 0 };
  }

  async findOneAndUpdate(filter: MongoDocument, change: MongoDocument, options: WriteOptions & { returnDocument: 'after' }): Promise<T | null> {
    const doc = await this.modify(filter, change, options);
    return doc ? (structuredClone(doc) as T) : null;
  }

  /** Applies an update document to the first match (or, with upsert, to a new document from the filter's equalities). */
  private async modify(filter: MongoDocument, change: MongoDocument, options?: WriteOptions): Promise<Doc | undefined> {
    const docs = this.docs(options);
    const i = this.indexOf(docs, filter);
    if (i < 0 && !options?.upsert) return undefined;
    const doc = structuredClone(i < 0 ? equalities(filter) : docs[i]);
    update(doc, change);
    this.checkUnique(i < 0 ? docs : docs.filter((_, j) => j !== i), doc);
    this.store(options, i < 0 ? [...docs, doc] : docs.map((d, j) => (j === i ? doc : d)));
    return doc;
  }

  async deleteOne(filter: MongoDocument, options?: WriteOptions): Promise<{ deletedCount: number }> {
    const docs = this.docs(options);
    const i = this.indexOf(docs, filter);
    if (i >= 0) this.store(options, docs.filter((_, j) => j !== i));
    return { deletedCount: i < 0 ? 0 : 1 };
  }

  async deleteMany(filter: MongoDocument, options?: WriteOptions): Promise<{ deletedCount: number }> {
    const docs = this.docs(options);
    const gone = new Set(find(docs, filter).all());
    if (gone.size) this.store(options, docs.filter((d) => !gone.has(d)));
    return { deletedCount: gone.size };
  }

  async countDocuments(filter: MongoDocument, options?: { session?: TxSession; limit?: number }): Promise<number> {
    const n = find(this.docs(options), filter).all().length;
    return options?.limit === undefined ? n : Math.min(n, options.limit);
  }

  async createIndexes(specs: { key: Record<string, 1 | -1>; unique?: boolean }[]): Promise<unknown> {
    for (const s of specs) if (s.unique) this.unique.push(Object.keys(s.key));
    return specs.map((s) => Object.keys(s.key).join('_'));
  }

  private indexOf(docs: Doc[], filter: MongoDocument): number {
    const [match] = find(docs, filter).all();
    return match ? docs.indexOf(match as Doc) : -1;
  }

  /** A duplicate key fails as MongoDB's E11000 does, with the key's values. */
  private checkUnique(docs: Doc[], doc: Doc): void {
    for (const fields of this.unique) {
      const keyValue = Object.fromEntries(fields.map((f) => [f, doc[f]]));
      if (find(docs, { $and: fields.map((f) => ({ [f]: { $eq: doc[f] } })) }).all().length) {
        throw Object.assign(new Error(`stand-in: E11000 duplicate key in ${this.name}: ${JSON.stringify(keyValue)}`), { code: 11000, keyValue });
      }
    }
  }
}

/** The plain `field: value` pairs of a filter (what an upsert copies into the new document). */
function equalities(filter: MongoDocument): Doc {
  return Object.fromEntries(Object.entries(filter).filter(([k, v]) => !k.startsWith('$') && (typeof v !== 'object' || v === null))) as Doc;
}

export class MongoStandIn implements MongoBackend {
  committed = new Map<string, Doc[]>();
  /** Commits so far, in all and per collection. */
  commits = 0;
  readonly collectionCommits = new Map<string, number>();
  private readonly others = new Map<string, DocCollection<Doc>>();
  readonly resources: DocCollection<ResourceDoc> = new StandInCollection(this, 'resources') as unknown as DocCollection<ResourceDoc>;
  readonly versions: DocCollection<VersionDoc> = new StandInCollection(this, 'versions') as unknown as DocCollection<VersionDoc>;
  readonly counters: DocCollection<CounterDoc> = new StandInCollection(this, 'counters') as unknown as DocCollection<CounterDoc>;
  readonly meta: DocCollection<MetaDoc> = new StandInCollection(this, 'meta') as unknown as DocCollection<MetaDoc>;
  readonly jobs: JobCollection = new StandInCollection(this, 'jobs') as unknown as JobCollection;
  closed = false;

  /** `replicaSet: false` answers `hello` as a standalone server does. */
  constructor(private readonly options: { replicaSet: boolean } = { replicaSet: true }) {}

  collection<T extends { _id: unknown }>(name: string): DocCollection<T> {
    let c = this.others.get(name);
    if (!c) this.others.set(name, (c = new StandInCollection<Doc>(this, name)));
    return c as unknown as DocCollection<T>;
  }

  bump(name: string): void {
    this.commits += 1;
    this.collectionCommits.set(name, (this.collectionCommits.get(name) ?? 0) + 1);
  }

  startSession(): TxSession {
    return new StandInSession(this);
  }

  async hello(): Promise<MongoDocument> {
    return this.options.replicaSet ? { isWritablePrimary: true, setName: 'stand-in' } : { isWritablePrimary: true };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

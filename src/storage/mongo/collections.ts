import type { JobCollection } from './jobs';
import type { MongoDocument, ResourceDoc, VersionDoc } from './documents';

/**
 * The part of the MongoDB driver the adapter uses, named so that nothing else creeps in: the
 * official driver's collections and sessions provide it (connect.ts), and the tests' in-process
 * stand-in implements exactly this with mingo (test/storage/mongo-standin.ts).
 */
export interface TxSession {
  startTransaction(options?: MongoDocument): void;
  commitTransaction(): Promise<unknown>;
  abortTransaction(): Promise<unknown>;
  endSession(): Promise<void>;
}

export interface FindOptions {
  session?: TxSession;
  projection?: MongoDocument;
  sort?: Record<string, 1 | -1>;
  limit?: number;
}

export interface DocCursor<T> {
  toArray(): Promise<T[]>;
}

export interface WriteOptions {
  session?: TxSession;
  upsert?: boolean;
}

export interface DocCollection<T> {
  findOne(filter: MongoDocument, options?: FindOptions): Promise<T | null>;
  find(filter: MongoDocument, options?: FindOptions): DocCursor<T>;
  aggregate<R = MongoDocument>(pipeline: MongoDocument[], options?: { session?: TxSession }): DocCursor<R>;
  insertOne(doc: T, options?: WriteOptions): Promise<unknown>;
  replaceOne(filter: MongoDocument, doc: T, options?: WriteOptions): Promise<unknown>;
  updateOne(filter: MongoDocument, update: MongoDocument, options?: WriteOptions): Promise<{ matchedCount: number }>;
  findOneAndUpdate(filter: MongoDocument, update: MongoDocument, options: WriteOptions & { returnDocument: 'after' }): Promise<T | null>;
  deleteMany(filter: MongoDocument, options?: WriteOptions): Promise<{ deletedCount: number }>;
  countDocuments(filter: MongoDocument, options?: { session?: TxSession; limit?: number }): Promise<number>;
  createIndexes(specs: { key: Record<string, 1 | -1>; name: string; unique?: boolean }[]): Promise<unknown>;
}

export interface CounterDoc {
  _id: string;
  n: number;
}

/** A setting the store keeps for itself (the paging cursors' key). */
export interface MetaDoc {
  _id: string;
  value: string;
}

export interface MongoBackend {
  resources: DocCollection<ResourceDoc>;
  versions: DocCollection<VersionDoc>;
  counters: DocCollection<CounterDoc>;
  meta: DocCollection<MetaDoc>;
  /** Any other collection by name (the delivery port's, mongo/delivery.ts). */
  collection<T extends { _id: unknown }>(name: string): DocCollection<T>;
  /** The job table (mongo/jobs.ts). */
  jobs: JobCollection;
  startSession(): TxSession;
  /** The server's reply to `hello` (replica set name, or `msg: 'isdbgrid'` behind mongos). */
  hello(): Promise<MongoDocument>;
  close(): Promise<void>;
}

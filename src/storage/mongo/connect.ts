import { MongoClient } from 'mongodb';
import type { CounterDoc, DocCollection, MetaDoc, MongoBackend } from './collections';
import type { JobCollection } from './jobs';
import type { ResourceDoc, VersionDoc } from './documents';

/**
 * Connects the official driver and hands the adapter its collections. Writes default to majority,
 * journaled acknowledgement and reads to majority read concern, so nothing acknowledged can be
 * rolled back by a failover; transactions set their own (snapshot) concerns on top.
 */
export async function connectMongo(uri: string, dbName: string, prefix = ''): Promise<MongoBackend & { dropDatabase(): Promise<void> }> {
  const client = new MongoClient(uri, { writeConcern: { w: 'majority', journal: true }, readConcern: { level: 'majority' }, retryWrites: true, appName: 'insured-fhir' });
  await client.connect();
  const db = client.db(dbName);
  // the driver's collections offer everything DocCollection names (and much more the adapter does not use)
  // a prefix gives a second store its own collections in the same database (the audit trail: audit_*)
  const collection = <T>(name: string) => db.collection(`${prefix}${name}`) as unknown as DocCollection<T>;
  return {
    resources: collection<ResourceDoc>('resources'),
    versions: collection<VersionDoc>('versions'),
    counters: collection<CounterDoc>('counters'),
    meta: collection<MetaDoc>('meta'),
    collection: (name) => collection(name),
    jobs: db.collection('jobs') as unknown as JobCollection,
    startSession: () => client.startSession(),
    hello: () => db.admin().command({ hello: 1 }),
    close: () => client.close(),
    dropDatabase: async () => {
      await db.dropDatabase();
    },
  };
}

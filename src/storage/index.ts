import type { Config } from '../config';
import type { Store } from './port';
import { SqliteStore } from './sqlite/store';

/** The store the configuration asks for: MongoDB when MONGODB_URI is set, else the embedded SQLite store. */
export async function createStore(config: Config): Promise<Store> {
  if (config.mongodbUri) {
    // loaded only when asked for, so the embedded store never pays for loading the driver
    const { connectMongo } = require('./mongo/connect') as typeof import('./mongo/connect');
    const { MongoStore } = require('./mongo/store') as typeof import('./mongo/store');
    return MongoStore.open(await connectMongo(config.mongodbUri, config.mongodbDb));
  }
  return new SqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}

/**
 * The audit trail's own store (DESIGN.md decision 11): the same port on DATA_DIR/audit.sqlite, or on
 * the collections audit_resources, audit_versions and audit_counters of the MongoDB database. It
 * never holds health data, and the main store never holds AuditEvents.
 */
export async function createAuditStore(config: Config): Promise<Store> {
  if (config.mongodbUri) {
    const { connectMongo } = require('./mongo/connect') as typeof import('./mongo/connect');
    const { MongoStore } = require('./mongo/store') as typeof import('./mongo/store');
    return MongoStore.open(await connectMongo(config.mongodbUri, config.mongodbDb, 'audit_'));
  }
  return new SqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous, file: AUDIT_FILE, trail: true });
}

export const AUDIT_FILE = 'audit.sqlite';

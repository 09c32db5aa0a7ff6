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

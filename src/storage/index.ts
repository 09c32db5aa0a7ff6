import type { Config } from '../config';
import type { Store } from './port';
import { SqliteStore } from './sqlite/store';

/** The store the configuration asks for (the embedded SQLite store by default). */
export function createStore(config: Config): Store {
  return new SqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}

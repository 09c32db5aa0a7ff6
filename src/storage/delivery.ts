import type { Config } from '../config';
import type { DeliveryStore } from './delivery-port';
import type { Store } from './port';
import { SqliteDeliveryStore } from './sqlite/delivery';

/** The delivery port's adapter that goes with the resource store: MongoDB collections beside it, or a SQLite file beside it. */
export async function createDeliveryStore(store: Store, config: Pick<Config, 'dataDir'>): Promise<DeliveryStore> {
  if (store.kind === 'mongodb') {
    const { MongoStore } = require('./mongo/store') as typeof import('./mongo/store');
    const { MongoDeliveryStore } = require('./mongo/delivery') as typeof import('./mongo/delivery');
    if (store instanceof MongoStore) return MongoDeliveryStore.open(store.database);
  }
  return new SqliteDeliveryStore(config.dataDir);
}

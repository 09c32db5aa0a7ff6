import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoDeliveryStore } from '../../src/storage/mongo/delivery';
import { SqliteDeliveryStore } from '../../src/storage/sqlite/delivery';
import { deliveryContract } from './delivery-contract';
import { MongoStandIn } from './mongo-standin';

deliveryContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-'));
  const store = new SqliteDeliveryStore(dir);
  return {
    store,
    reopen: async () => {
      await store.close();
      return new SqliteDeliveryStore(dir);
    },
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

deliveryContract('mongodb (stand-in)', async () => {
  const db = new MongoStandIn();
  const store = await MongoDeliveryStore.open(db);
  return { store, reopen: () => MongoDeliveryStore.open(db), close: () => store.close() };
});

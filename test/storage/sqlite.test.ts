import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src/storage/port';
import { SqliteStore } from '../../src/storage/sqlite/store';
import { storeContract } from './contract';
import { jobStoreContract } from './job-contract';

const dirs = new Map<Store, string>();
afterAll(() => {
  for (const dir of dirs.values()) fs.rmSync(dir, { recursive: true, force: true });
});

async function open(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-contract-'))): Promise<Store> {
  const store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL' });
  dirs.set(store, dir);
  return store;
}

storeContract(
  'sqlite',
  () => open(),
  async (store) => {
    const dir = dirs.get(store) as string;
    await store.close();
    return open(dir);
  },
  async (store) => open(dirs.get(store))
);

jobStoreContract('sqlite', () => open(), async (store) => {
  const dir = dirs.get(store) as string;
  await store.close();
  return open(dir);
});

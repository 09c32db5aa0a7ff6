import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Store } from '../../src/storage/port';
import { NOT_IN_TRAIL } from '../../src/storage/sqlite/schema';
import { SqliteStore } from '../../src/storage/sqlite/store';
import { storeContract } from './contract';
import { jobStoreContract } from './job-contract';

const dirs = new Map<Store, string>();
afterAll(() => {
  for (const dir of dirs.values()) fs.rmSync(dir, { recursive: true, force: true });
});

async function open(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-contract-')), trail = false): Promise<Store> {
  const store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL', ...(trail ? { file: 'audit.sqlite', trail } : {}) });
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

// the audit trail's file goes without some indexes: every search shape still answers the same
storeContract(
  'sqlite trail file',
  () => open(undefined, true),
  async (store) => {
    const dir = dirs.get(store) as string;
    await store.close();
    return open(dir, true);
  },
  async (store) => open(dirs.get(store), true)
);

describe('the trail file', () => {
  const indexes = (file: string): string[] =>
    (new DatabaseSync(file, { readOnly: true }).prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);

  it('has none of the indexes it never uses, and a file made with them loses them when opened as the trail', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-'));
    const full = new SqliteStore({ dataDir: dir, file: 'audit.sqlite' });
    await full.close();
    expect(indexes(path.join(dir, 'audit.sqlite'))).toEqual(expect.arrayContaining(NOT_IN_TRAIL));
    const trail = new SqliteStore({ dataDir: dir, file: 'audit.sqlite', trail: true });
    await trail.close();
    const left = indexes(path.join(dir, 'audit.sqlite'));
    expect(left.filter((name) => NOT_IN_TRAIL.includes(name))).toEqual([]);
    // the ones its searches use stay
    expect(left).toEqual(expect.arrayContaining(['idx_token_q', 'idx_reference_q', 'idx_reference_id', 'idx_date_low', 'idx_date_high', 'idx_token_rid']));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

jobStoreContract('sqlite', () => open(), async (store) => {
  const dir = dirs.get(store) as string;
  await store.close();
  return open(dir);
});

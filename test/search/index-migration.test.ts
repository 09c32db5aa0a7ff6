import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { getRegistry } from '../../src/definitions/registry';
import { reindex } from '../../src/operations/reindex';
import { extractIndexRows } from '../../src/search/extract';
import { SqliteStore } from '../../src/storage/sqlite/store';

describe('index tables of an older layout are rebuilt and refilled by a reindex', () => {
  it('drops the old index tables at start, marks a reindex required, and the reindex restores search', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-migrate-'));
    const registry = getRegistry();
    try {
      let store = new SqliteStore({ dataDir: dir });
      const patient = { resourceType: 'Patient' as const, id: 'a', meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' }, name: [{ family: 'Alpha' }] };
      await store.transaction((s) =>
        s.write([{ resourceType: 'Patient', id: 'a', versionId: '1', lastUpdated: patient.meta.lastUpdated, deleted: false, method: 'PUT', json: JSON.stringify(patient), index: extractIndexRows(registry, patient), compartments: ['Patient/a'], expectedVersionId: null }])
      );
      await store.close();
      // pretend the file was written by the previous index layout
      const db = new DatabaseSync(path.join(dir, 'fhir.sqlite'));
      db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
      db.close();

      store = new SqliteStore({ dataDir: dir });
      const byFamily = async () =>
        (await store.search({ resourceTypes: ['Patient'], where: [{ kind: 'string', code: 'family', match: 'start', value: 'alp' }], count: 10, total: 'none' })).records.map((r) => r.id);
      expect(await store.reindexRequired()).toBe(true);
      expect(await byFamily()).toEqual([]);
      const result = await reindex({ registry, store, maintenance: store, baseUrl: 'http://localhost:8080/fhir' });
      expect(result).toEqual({ resources: 1, updated: 1 });
      expect(await byFamily()).toEqual(['a']);
      expect(await store.reindexRequired()).toBe(false);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

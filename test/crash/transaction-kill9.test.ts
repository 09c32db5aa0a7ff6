import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { buildOnce, startChildServer, tmpDataDir, waitForExit } from '../helpers/child-server';

/** A transaction interrupted by SIGKILL leaves no trace: no versions, no index rows, no history. */
jest.setTimeout(120_000);

describe('crash in the middle of a transaction', () => {
  const dataDir = tmpDataDir('fhir-txcrash-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const TABLES = ['resource_version', 'resource', 'idx_token', 'idx_string', 'resource_compartment'];
  /** Row counts per table (the implementation guide's conformance resources are stored at start). */
  function counts(): Record<string, number> {
    const db = new DatabaseSync(path.join(dataDir, 'fhir.sqlite'), { readOnly: true });
    try {
      return Object.fromEntries(TABLES.map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n]));
    } finally {
      db.close();
    }
  }

  it('rolls back everything the transaction had written', async () => {
    const server = await startChildServer(dataDir, { FHIR_AUDIT: 'off' });
    const before = counts();
    expect(before.resource).toBeGreaterThan(0);
    const entry = Array.from({ length: 4000 }, (_, i) => ({
      resource: { resourceType: 'Patient', identifier: [{ system: 'urn:crash-tx', value: String(i) }], name: [{ family: `F${i}` }] },
      request: { method: 'POST', url: 'Patient' },
    }));
    const pending = fetch(`${server.base}/fhir`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
    }).then(
      (r) => r.status,
      () => 0
    );
    // wait until the transaction is under way: its writes reach the WAL file before the commit
    const wal = path.join(dataDir, 'fhir.sqlite-wal');
    const start = fs.existsSync(wal) ? fs.statSync(wal).size : 0;
    const deadline = Date.now() + 30_000;
    while ((fs.existsSync(wal) ? fs.statSync(wal).size : 0) < start + 256 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    server.proc.kill('SIGKILL');
    expect(await pending).toBe(0); // never acknowledged
    await waitForExit(server.proc);

    const again = await startChildServer(dataDir, { FHIR_AUDIT: 'off' });
    try {
      const search = (await (await fetch(`${again.base}/fhir/Patient?identifier=urn:crash-tx|0`)).json()) as { total: number };
      expect(search.total).toBe(0);
      const history = (await (await fetch(`${again.base}/fhir/Patient/_history`)).json()) as { entry?: unknown[] };
      expect(history.entry ?? []).toHaveLength(0);
    } finally {
      again.proc.kill('SIGTERM');
      await waitForExit(again.proc);
    }
    expect(counts()).toEqual(before);
  });
});

import fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { buildOnce, startChildServer, tmpDataDir, waitForExit } from '../helpers/child-server';

/**
 * Durability: every write the server acknowledged survives `kill -9`, and no half-written version
 * (a version without its pointer, index rows of a version that never committed) remains.
 */
jest.setTimeout(90_000);

const FHIR_JSON = { 'Content-Type': 'application/fhir+json' };

describe('crash safety of the embedded store', () => {
  const dataDir = tmpDataDir('fhir-crash-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged write across SIGKILL mid-stream', async () => {
    const first = await startChildServer(dataDir);
    const acked = new Map<string, number>(); // id -> highest acknowledged versionId
    let stop = false;
    let n = 0;

    async function writer(w: number): Promise<void> {
      let mine: string | undefined;
      while (!stop) {
        try {
          n++;
          const res = mine
            ? await fetch(`${first.base}/fhir/Patient/${mine}`, {
                method: 'PUT',
                headers: FHIR_JSON,
                body: JSON.stringify({ resourceType: 'Patient', id: mine, identifier: [{ system: 'urn:crash', value: `${w}-${n}` }] }),
              })
            : await fetch(`${first.base}/fhir/Patient`, {
                method: 'POST',
                headers: FHIR_JSON,
                body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:crash', value: `${w}-${n}` }] }),
              });
          if (res.status === 200 || res.status === 201) {
            const body = (await res.json()) as { id: string; meta: { versionId: string } };
            acked.set(body.id, Number(body.meta.versionId));
            mine = n % 3 === 0 ? undefined : body.id; // mix of creates and updates
          }
        } catch {
          return; // the server died under us: this write was never acknowledged
        }
      }
    }

    const writers = [0, 1, 2, 3].map(writer);
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 20));
    first.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await waitForExit(first.proc);

    const second = await startChildServer(dataDir);
    try {
      for (const [id, version] of acked) {
        const res = await fetch(`${second.base}/fhir/Patient/${id}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { meta: { versionId: string } };
        expect(Number(body.meta.versionId)).toBeGreaterThanOrEqual(version);
      }
    } finally {
      second.proc.kill('SIGTERM');
      await waitForExit(second.proc);
    }

    const db = new DatabaseSync(path.join(dataDir, 'fhir.sqlite'), { readOnly: true });
    try {
      expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
      // every pointer names the newest version of its resource, and every version has a pointer
      const orphans = db
        .prepare(
          `SELECT count(*) AS n FROM resource_version v LEFT JOIN resource r ON r.resource_type = v.resource_type AND r.id = v.id WHERE r.rid IS NULL`
        )
        .get() as { n: number };
      expect(orphans.n).toBe(0);
      const stale = db
        .prepare(
          `SELECT count(*) AS n FROM resource r WHERE r.sv <> (SELECT max(sv) FROM resource_version v WHERE v.resource_type = r.resource_type AND v.id = r.id)`
        )
        .get() as { n: number };
      expect(stale.n).toBe(0);
      // index rows belong to live pointers only, and each live resource has its identifier indexed once
      const strayIndex = db.prepare('SELECT count(*) AS n FROM idx_token t LEFT JOIN resource r ON r.rid = t.rid WHERE r.rid IS NULL').get() as { n: number };
      expect(strayIndex.n).toBe(0);
      const idxCount = db.prepare("SELECT count(*) AS n FROM idx_token WHERE code = 'identifier'").get() as { n: number };
      const live = db.prepare("SELECT count(*) AS n FROM resource WHERE resource_type = 'Patient' AND deleted = 0").get() as { n: number };
      expect(idxCount.n).toBe(live.n);
      expect(live.n).toBeGreaterThanOrEqual(acked.size);
    } finally {
      db.close();
    }
  });
});

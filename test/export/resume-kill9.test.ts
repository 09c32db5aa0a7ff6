import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { buildOnce, startChildServer, tmpDataDir, waitForExit, type ChildServer } from '../helpers/child-server';
import { EXPORT_KIND } from '../../src/export/job';

/**
 * Durable export jobs: a server killed (SIGKILL) in the middle of an export resumes it after a
 * restart from the last page it recorded, and the files hold every resource exactly once.
 */
jest.setTimeout(120_000);

const N = 2000;
const SLOW = { EXPORT_PAGE_SIZE: '50', EXPORT_PAGE_PAUSE_MS: '40', EXPORT_LEASE_MS: '1500', EXPORT_WORKER_POLL_MS: '100', EXPORT_FILE_MAX_RESOURCES: '300' };

describe('an export killed mid-way', () => {
  const dataDir = tmpDataDir('fhir-export-kill-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function status(s: ChildServer, url: string) {
    const res = await fetch(`${s.base}${new URL(url).pathname}`);
    return { status: res.status, progress: res.headers.get('x-progress') ?? '', body: res.status === 202 ? undefined : await res.json() };
  }
  const exported = (progress: string) => Number(/(\d+) resources/.exec(progress)?.[1] ?? 0);

  it('resumes after a restart from the last page written, every resource once', async () => {
    const first = await startChildServer(dataDir, SLOW);
    for (let b = 0; b < N / 500; b++) {
      const entry = Array.from({ length: 500 }, (_, i) => {
        const id = `p${b * 500 + i}`;
        return { resource: { resourceType: 'Patient', id, name: [{ family: `F${id}` }] }, request: { method: 'PUT', url: `Patient/${id}` } };
      });
      const res = await fetch(`${first.base}/fhir`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
      expect(res.status).toBe(200);
    }
    const kick = await fetch(`${first.base}/fhir/$export?_type=Patient`, { headers: { Prefer: 'respond-async', Accept: 'application/fhir+json' } });
    expect(kick.status).toBe(202);
    const statusUrl = kick.headers.get('content-location') as string;
    let before = 0;
    while (before < 400) {
      const s = await status(first, statusUrl);
      expect(s.status).toBe(202);
      before = exported(s.progress);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.proc.kill('SIGKILL');
    await waitForExit(first.proc);

    const second = await startChildServer(dataDir, { ...SLOW, EXPORT_PAGE_PAUSE_MS: '0' });
    try {
      let s = await status(second, statusUrl);
      // the job goes on from where it was: its progress never falls back to the start
      if (s.status === 202) expect(exported(s.progress)).toBeGreaterThanOrEqual(before - 50);
      const deadline = Date.now() + 60_000;
      while (s.status === 202 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        s = await status(second, statusUrl);
        if (s.status === 202 && s.progress !== 'queued') expect(exported(s.progress)).toBeGreaterThanOrEqual(before - 50);
      }
      expect(s.status).toBe(200);
      const manifest = s.body as { output: { url: string; count: number }[]; error: unknown[] };
      expect(manifest.error).toEqual([]);
      const seen = new Set<string>();
      let lines = 0;
      for (const f of manifest.output) {
        const text = await (await fetch(`${second.base}${new URL(f.url).pathname}`)).text();
        const rows = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string });
        expect(rows).toHaveLength(f.count);
        for (const r of rows) seen.add(r.id);
        lines += rows.length;
      }
      expect([lines, seen.size]).toEqual([N, N]);
      expect(manifest.output.length).toBe(Math.ceil(N / 300));
    } finally {
      second.proc.kill('SIGTERM');
      await waitForExit(second.proc);
    }
    // claimed twice: once before the kill, once after, and not started over
    const db = new DatabaseSync(path.join(dataDir, 'fhir.sqlite'), { readOnly: true });
    try {
      // the export's own job (the job table also keeps monitoring's position)
      expect(db.prepare('SELECT state, attempts FROM job WHERE kind = ?').all(EXPORT_KIND)).toEqual([{ state: 'completed', attempts: 2 }]);
    } finally {
      db.close();
    }
  });
});

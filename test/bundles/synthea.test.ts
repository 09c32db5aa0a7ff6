import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * The Synthea sample patients (transaction Bundles with urn:uuid references and contained
 * resources) load unchanged through POST /fhir, and afterwards every reference in every stored
 * resource resolves to a stored resource.
 */
jest.setTimeout(300_000);

const SYNTHEA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'synthea');
const files = fs.existsSync(SYNTHEA) ? fs.readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).sort() : [];

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
});
afterAll(() => t.close());

describe('Synthea sample patients', () => {
  it('finds the shared sample data', () => {
    expect(files.length).toBe(20);
  });

  it('load through POST /fhir and every stored reference resolves', async () => {
    // what the server stores at start (the guide's conformance resources and SubscriptionTopics)
    const before = new DatabaseSync(path.join(t.dataDir, 'fhir.sqlite'), { readOnly: true });
    const atStart = (before.prepare('SELECT count(*) AS n FROM resource WHERE deleted = 0').get() as { n: number }).n;
    before.close();
    let entries = 0;
    for (const file of files) {
      const bundle = JSON.parse(fs.readFileSync(path.join(SYNTHEA, file), 'utf8'));
      const res = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send(bundle);
      expect({ file, status: res.status, issue: res.body.issue?.[0] }).toEqual({ file, status: 200, issue: undefined });
      expect(res.body.type).toBe('transaction-response');
      expect(res.body.entry).toHaveLength(bundle.entry.length);
      expect(res.body.entry.every((e: any) => e.response.status === '201 Created')).toBe(true);
      entries += bundle.entry.length;
    }
    expect(entries).toBe(4666);

    const db = new DatabaseSync(path.join(t.dataDir, 'fhir.sqlite'), { readOnly: true });
    try {
      const live = new Set(
        (db.prepare('SELECT resource_type || \'/\' || id AS ref FROM resource WHERE deleted = 0').all() as { ref: string }[]).map((r) => r.ref)
      );
      expect(live.size - atStart).toBe(4666);
      const rows = db.prepare('SELECT v.json FROM resource r JOIN resource_version v ON v.sv = r.sv WHERE r.deleted = 0').all() as { json: string }[];
      const unresolved: string[] = [];
      let checked = 0;
      for (const { json } of rows) {
        const resource = JSON.parse(json);
        const contained = new Set((resource.contained ?? []).map((c: { id: string }) => `#${c.id}`));
        for (const ref of references(resource)) {
          checked++;
          if (ref.startsWith('#') ? !contained.has(ref) : !live.has(ref)) unresolved.push(`${resource.resourceType}/${resource.id} -> ${ref}`);
        }
      }
      expect(checked).toBeGreaterThan(10_000);
      expect(unresolved).toEqual([]);
    } finally {
      db.close();
    }
  });
});

function references(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => references(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else if (k !== 'contained') references(v, out);
    }
    for (const c of ((node as { contained?: unknown[] }).contained ?? [])) references(c, out);
  }
  return out;
}

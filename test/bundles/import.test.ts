import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, tmpDataDir } from '../helpers/child-server';
import { startTestServer } from '../helpers/server';

/** The bulk loader (`npm run import`): Bundles and NDJSON, idempotent, resumable, refusals reported. */
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const SYNTHEA = path.resolve(ROOT, '..', 'shared', 'data', 'synthea');

function runImport(dataDir: string, args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'import.js'), ...args], {
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, out: e.stdout };
  }
}

describe('bulk loader', () => {
  const dataDir = tmpDataDir('fhir-import-');
  const inputs = tmpDataDir('fhir-import-in-');
  beforeAll(() => {
    buildOnce();
    const picked = fs.readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).sort().slice(0, 3);
    fs.mkdirSync(path.join(inputs, 'bundles'));
    for (const f of picked) fs.copyFileSync(path.join(SYNTHEA, f), path.join(inputs, 'bundles', f));
    const ndjson = [
      { resourceType: 'Patient', id: 'nd-1', name: [{ family: 'Ndjson' }] },
      { resourceType: 'Observation', id: 'nd-2', status: 'final', code: { text: 'steps' }, subject: { reference: 'Patient/nd-1' } },
      { resourceType: 'Patient', id: 'nd-bad', birthDate: 'never' },
    ];
    fs.writeFileSync(path.join(inputs, 'extra.ndjson'), ndjson.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(inputs, { recursive: true, force: true });
  });

  it('loads Bundles and NDJSON, reports refusals, and a second run changes nothing', async () => {
    const first = runImport(dataDir, [inputs]);
    expect(first.code).toBe(1); // one refused resource
    expect(first.out).toMatch(/4 files: \d+ written, \d+ unchanged, 1 refused/);
    const errors = fs.readFileSync(path.join(dataDir, 'import-errors.ndjson'), 'utf8');
    expect(errors).toContain('Patient/nd-bad');

    const again = runImport(dataDir, [inputs, '--restart']);
    expect(again.out).toMatch(/4 files: 0 written, \d+ unchanged, 1 refused/);

    const t = await startTestServer({ DATA_DIR: dataDir, FHIR_AUDIT: 'off' });
    try {
      expect((await t.http.get('/fhir/Observation/nd-2')).body.subject.reference).toBe('Patient/nd-1');
      const patients = (await t.http.get('/fhir/Patient?_count=100')).body;
      expect(patients.total).toBe(4); // 3 Synthea patients and nd-1, each once
      const history = (await t.http.get('/fhir/Patient/nd-1/_history')).body;
      expect(history.total).toBe(1); // the second run wrote no new version
      // references between bundle entries point at the kept ids
      const enc = (await t.http.get('/fhir/Encounter?_count=1')).body.entry[0].resource;
      expect((await t.http.get(`/fhir/${enc.subject.reference}`)).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });

  it('resumes from its checkpoint: files already loaded are skipped', () => {
    const resumed = runImport(dataDir, [inputs]);
    expect(resumed.out).toMatch(/^Nothing imported: all \d+ resources of 4 files were loaded by an earlier run, as .*import-checkpoint\.json records\. --restart reads them all again/m);
  });
});

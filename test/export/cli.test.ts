import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, startChildServer, tmpDataDir, waitForExit } from '../helpers/child-server';

/** `npm run export`: the same export engine from the command line, into a folder with its manifest. */
jest.setTimeout(90_000);

describe('the export command', () => {
  const dataDir = tmpDataDir('fhir-export-cli-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('writes NDJSON per type and a manifest', async () => {
    const server = await startChildServer(dataDir);
    for (const id of ['a', 'b', 'c']) {
      const res = await fetch(`${server.base}/fhir/Patient/${id}`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id, gender: 'female', birthDate: '1980-04-02', name: [{ family: `Name-${id}` }] }) });
      expect(res.status).toBe(201);
    }
    server.proc.kill('SIGTERM');
    await waitForExit(server.proc);
    const out = path.join(dataDir, 'out');
    const root = path.resolve(__dirname, '..', '..');
    const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const stdout = execFileSync(process.execPath, [path.join(root, 'dist', 'cli', 'export.js'), '--type', 'Patient', '--out', out], { env, encoding: 'utf8' });
    expect(stdout).toMatch(/3 resources in 1 files/);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.output).toEqual([{ type: 'Patient', url: 'Patient-1.ndjson', count: 3 }]);
    const ids = fs.readFileSync(path.join(out, 'Patient-1.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id).sort();
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(() => execFileSync(process.execPath, [path.join(root, 'dist', 'cli', 'export.js'), '--out', out, '--type', 'Nope'], { env, stdio: 'pipe' })).toThrow();
  });

  const run = (args: string[], extra: Record<string, string> = {}) => {
    const root = path.resolve(__dirname, '..', '..');
    const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extra };
    return spawnSync(process.execPath, [path.join(root, 'dist', 'cli', 'export.js'), ...args], { env, encoding: 'utf8' });
  };
  const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

  it('--deid pseudonymised writes pseudonyms and no names', () => {
    const out = path.join(dataDir, 'pseudo');
    const res = run(['--type', 'Patient', '--deid', 'pseudonymised', '--out', out]);
    expect(res.status).toBe(0);
    expect(res.stderr).not.toMatch(/Risk report/);
    const patients = lines(path.join(out, 'Patient-1.ndjson'));
    expect(patients).toHaveLength(3);
    for (const p of patients) {
      expect(['a', 'b', 'c']).not.toContain(p.id);
      expect(p.name).toBeUndefined();
    }
    expect(fs.existsSync(path.join(out, 'risk-report.json'))).toBe(false);
  });

  it('--deid anonymised measures the release, writes the risk report and summarises it', () => {
    const out = path.join(dataDir, 'anon');
    const res = run(['--type', 'Patient', '--deid', 'anonymised', '--out', out], { EXPORT_ANON_K: '3', EXPORT_ANON_MAX_AVERAGE_RISK: '0.5', EXPORT_ANON_MAX_SUPPRESSION: '0' });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/3 resources in 1 files/);
    expect(res.stderr).toMatch(/^Risk report: policy met$/m);
    expect(res.stderr).toMatch(/k-min 3 \(k = 3\)/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'risk-report.json'), 'utf8'));
    expect(report).toMatchObject({ met: true, persons: 3, released: 3, kMin: 3, policy: { k: 3 } });
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.extension['http://insured.example.org/fhir/StructureDefinition/deid-risk-report']).toMatchObject({ url: 'risk-report.json', met: true });
    expect(lines(path.join(out, 'Patient-1.ndjson')).map((p) => Object.keys(p).sort())[0]).not.toContain('name');
  });

  it('a release that does not meet the policy exits 1 with the reason and writes no data file', () => {
    const out = path.join(dataDir, 'anon-refused');
    // three persons cannot make a class of the default k = 11
    const res = run(['--type', 'Patient', '--deid', 'anonymised', '--out', out]);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/policy NOT met/);
    expect(res.stderr).toMatch(/does not meet its policy \(no class holds k = 11/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'risk-report.json'), 'utf8')).met).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.output).toEqual([]);
    expect(lines(path.join(out, manifest.error[0].url))[0].issue[0].code).toBe('business-rule');
  });

  it('refuses what the kick-off refuses, with status 2', () => {
    const out = path.join(dataDir, 'refused');
    const noPatient = run(['--type', 'Observation', '--deid', 'anonymised', '--out', out]);
    expect(noPatient.status).toBe(2);
    expect(noPatient.stderr).toMatch(/needs Patient among the exported types/);
    const since = run(['--type', 'Patient', '--since', '2026-01-01T00:00:00Z', '--deid', 'anonymised', '--out', out]);
    expect(since.status).toBe(2);
    expect(since.stderr).toMatch(/cannot be combined with _since/);
    const unknown = run(['--type', 'Patient', '--deid', 'masked', '--out', out]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/_deid must be pseudonymised or anonymised/);
  });
});

import { execFileSync } from 'node:child_process';
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
      const res = await fetch(`${server.base}/fhir/Patient/${id}`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id }) });
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
});

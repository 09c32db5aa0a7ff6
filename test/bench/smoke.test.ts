import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce } from '../helpers/child-server';

/** The benchmark harness runs end to end on a small population. It checks the harness, never timings. */
jest.setTimeout(180_000);

it('npm run bench:smoke measures every phase and writes its results', () => {
  buildOnce();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  const out = path.join(dir, 'results.json');
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'cli', 'bench.js'), '--smoke', '--out', out], { stdio: 'ignore' });
  const results = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(results.persons).toBe(10);
  expect(results.resources).toBeGreaterThan(100);
  for (const phase of ['read by id', 'search patient + code', 'search identifier', 'search family name', 'search date range', 'search chained', '$everything', '$insured-profile', '$everything, 1 connection', '$insured-profile, 1 connection', 'update', 'readCeiling']) {
    expect({ phase, requests: results[phase].requests > 0, errors: results[phase].errors }).toEqual({ phase, requests: true, errors: 0 });
  }
  // $everything follows its pages to the end: every resource of the patient's compartment at least
  expect(results['$everything'].entriesPerCall).toBeGreaterThan(20);
  expect(results.ingest.resourcesPerSecond).toBeGreaterThan(0);
  expect(results.ingest.ceiling).toBeGreaterThan(0);
  expect(results.bulkLoader.resourcesPerSecond).toBeGreaterThan(0);
  expect(results.peakRssMb).toBeGreaterThan(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

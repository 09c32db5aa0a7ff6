import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce } from '../helpers/child-server';

/** The growth run and the person-ordered parts it loads. Checks the harness, never timings. */
jest.setTimeout(180_000);

const DIST = path.join(__dirname, '..', '..', 'dist', 'cli');

beforeAll(() => buildOnce());

it('npm run generate --split-at writes whole families per part, each part referring only to itself and the parts before it', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-split-'));
  execFileSync(process.execPath, [path.join(DIST, 'generate.js'), '--persons', '30', '--split-at', '10,20', '--days', '1', '--format', 'ndjson', '--out', out], { stdio: 'ignore' });
  const parts = fs.readdirSync(path.join(out, 'ndjson')).sort();
  expect(parts).toEqual(['part-1', 'part-2', 'part-3']);
  const known = new Set<string>();
  const patients: number[] = [];
  for (const part of parts) {
    const lines = fs.readdirSync(path.join(out, 'ndjson', part)).flatMap((f) => fs.readFileSync(path.join(out, 'ndjson', part, f), 'utf8').trim().split('\n'));
    for (const line of lines) known.add(`${JSON.parse(line).resourceType}/${JSON.parse(line).id}`);
    const refs = lines.flatMap((l) => l.match(/"reference":"([^"]+)"/g)?.map((m) => m.slice(13, -1)) ?? []);
    expect(refs.filter((r) => !known.has(r))).toEqual([]);
    patients.push([...known].filter((k) => k.startsWith('Patient/')).length);
  }
  // whole families: each cut falls at or just past its mark, never splitting a family of at most three
  expect(patients[0]).toBeGreaterThanOrEqual(10);
  expect(patients[0]).toBeLessThan(13);
  expect(patients[2]).toBeGreaterThanOrEqual(30);
  fs.rmSync(out, { recursive: true, force: true });
});

it('npm run bench --growth loads each size on top of the last and measures the read and search phases at each, in rounds', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-growth-test-'));
  const out = path.join(dir, 'results.json');
  execFileSync(process.execPath, [path.join(DIST, 'bench.js'), '--growth', '300,900', '--days', '2', '--connections', '4', '--duration', '1', '--rounds', '2', '--out', out], { stdio: 'ignore' });
  const results = JSON.parse(fs.readFileSync(out, 'utf8'));
  expect(results.steps).toHaveLength(2);
  const [small, large] = results.steps;
  expect(large.resources).toBeGreaterThan(small.resources * 2);
  expect(large.load.written).toBe(large.resources - small.resources);
  for (const phase of ['read by id', 'search patient + code', 'search identifier', 'search family name', 'search date range', 'search chained']) {
    for (const step of results.steps) {
      expect({ phase, requests: step.phases[phase].requests > 0, errors: step.phases[phase].errors }).toEqual({ phase, requests: true, errors: 0 });
      // the figures are the medians of two rounds: between them
      const p95s = step.phases[phase].rounds.map((m: { p95: number }) => m.p95);
      expect(p95s).toHaveLength(2);
      expect(step.phases[phase].p95).toBeCloseTo((p95s[0] + p95s[1]) / 2, 1);
    }
    expect(results.p95Ratio[phase]).toBeGreaterThan(0);
  }
  expect(small.storeMb).toBeGreaterThan(0);
  expect(small.peakRssMb).toBeGreaterThan(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

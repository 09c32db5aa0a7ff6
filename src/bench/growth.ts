import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFamily } from './generate';
import { resetConnections, type Measure } from './load';
import { phaseSubjects, readAndSearchPhases, runPhases, type PhaseMeasure } from './phases';
import { diskMb, freshMongoDb, importNdjson, startServer } from './run';

/** The p95 at the largest size over the p95 at the smallest, per phase, should stay at or under this. */
export const P95_RATIO_TARGET = 1.5;

const SEED = '1';
const AS_OF = '2026-11-01';

export interface GrowthOptions {
  /** Store sizes in resources, increasing: each is loaded on top of the one before. */
  sizes: number[];
  /** Days of wearable readings per person (sets resources per person). */
  days: number;
  connections: number;
  durationMs: number;
  /** Rounds of each phase at each size (figures are their medians). */
  rounds: number;
  log: (line: string) => void;
}

export interface GrowthStep {
  targetResources: number;
  persons: number;
  resources: number;
  load: { written: number; seconds: number; resourcesPerSecond: number };
  storeMb: number;
  peakRssMb: number;
  phases: Record<string, PhaseMeasure>;
}

export interface GrowthResult {
  days: number;
  steps: GrowthStep[];
  /** Per phase, p95 at the largest size over p95 at the smallest. */
  p95Ratio: Record<string, number>;
}

/**
 * Persons to generate for each size: resources per person measured on the generator's first 200
 * families (shared organizations and practitioners left out: there are at most 250 of them).
 */
export function personsFor(sizes: number[], days: number): number[] {
  let people = 0;
  let own = 0;
  for (let f = 0; f < 200; f++) {
    const list = generateFamily(f, { seed: Number(SEED), monitoringDays: days, asOf: `${AS_OF}T00:00:00Z` });
    people += list.filter((r) => r.resourceType === 'Patient').length;
    own += list.filter((r) => r.resourceType !== 'Organization' && r.resourceType !== 'Practitioner').length;
  }
  return sizes.map((size) => Math.max(2, Math.round(size / (own / people))));
}

/**
 * The growth run: one population for the largest size, generated in person-ordered parts; each part
 * loaded with the bulk loader on top of the ones before (so each store contains the smaller one), and
 * after each the server started on that store and the read and search phases measured over the same
 * patients of the first part.
 */
export async function runGrowth(o: GrowthOptions): Promise<GrowthResult> {
  const persons = personsFor(o.sizes, o.days);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-growth-'));
  const population = path.join(work, 'population');
  const dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  const storeEnv = { ...freshMongoDb(), DATA_DIR: dataDir };
  const steps: GrowthStep[] = [];
  try {
    o.log(`generating ${persons.at(-1)} persons in ${persons.length} parts (cut at ${persons.slice(0, -1).join(', ')} persons), ${o.days} days of readings each, into ${population}`);
    execFileSync(process.execPath, [path.join(__dirname, '..', 'cli', 'generate.js'), '--persons', String(persons.at(-1)), '--split-at', persons.slice(0, -1).join(','), '--days', String(o.days), '--seed', SEED, '--as-of', AS_OF, '--format', 'ndjson', '--out', population], { stdio: 'inherit' });
    const part = (k: number) => path.join(population, 'ndjson', `part-${k + 1}`);
    const phases = readAndSearchPhases(phaseSubjects(part(0)));
    let resources = 0;
    for (let k = 0; k < persons.length; k++) {
      const adding = countLines(part(k));
      o.log(`size ${k + 1} of ${persons.length}: loading part-${k + 1} (${adding} resources) on top of ${resources}`);
      const load = importNdjson(part(k), storeEnv, true);
      resources += adding;
      o.log(`loaded: ${resources} resources in the store; ${load.written} written in ${load.seconds} s (${load.resourcesPerSecond} resources/s)`);
      const storeMb = diskMb(dataDir);
      const server = await startServer(storeEnv, dataDir);
      let measured: Record<string, PhaseMeasure>;
      try {
        // the server starts cold on the store: a second of each phase first, not measured
        await runPhases(server.base, phases, { connections: o.connections, durationMs: 1000, headers: server.headers });
        measured = await runPhases(server.base, phases, { ...o, headers: server.headers }, (name, m) => o.log(`  ${name}: ${m.perSecond}/s, p95 ${m.p95} ms (${m.errors} errors)`));
      } finally {
        await server.stop();
        resetConnections();
      }
      steps.push({ targetResources: o.sizes[k], persons: persons[k], resources, load, storeMb, peakRssMb: server.peakRssMb(), phases: measured });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const first = steps[0].phases;
  const last = steps[steps.length - 1].phases;
  const p95Ratio = Object.fromEntries(Object.keys(first).map((name) => [name, Number((last[name].p95 / first[name].p95).toFixed(2))]));
  return { days: o.days, steps, p95Ratio };
}

/** Lines in a directory's files, read in chunks (a part's files can be larger than is wise to hold). */
function countLines(dir: string): number {
  const chunk = Buffer.alloc(1 << 20);
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    const fd = fs.openSync(path.join(dir, f), 'r');
    for (let read = fs.readSync(fd, chunk); read > 0; read = fs.readSync(fd, chunk)) {
      for (let i = chunk.indexOf(10); i !== -1 && i < read; i = chunk.indexOf(10, i + 1)) n++;
    }
    fs.closeSync(fd);
  }
  return n;
}

/** The result as a Markdown table: one column per size, the p95 ratio last. */
export function growthTable(r: GrowthResult): string[] {
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const fmt = (m: Measure) => `${m.perSecond}/s, p50 ${m.p50} ms, p95 ${m.p95} ms, p99 ${m.p99} ms${m.errors ? `, ${m.errors} errors` : ''}`;
  const first = r.steps[0];
  const last = r.steps[r.steps.length - 1];
  return [
    row(['', ...r.steps.map((s) => `${s.resources.toLocaleString('en')} resources (${s.persons.toLocaleString('en')} persons)`), `p95 ratio, ${last.resources.toLocaleString('en')} / ${first.resources.toLocaleString('en')} (target ≤ ${P95_RATIO_TARGET})`]),
    row(['---', ...r.steps.map(() => '---'), '---']),
    ...Object.keys(first.phases).map((name) => row([name, ...r.steps.map((s) => fmt(s.phases[name])), `${r.p95Ratio[name]}${r.p95Ratio[name] <= P95_RATIO_TARGET ? '' : ' (over)'}`])),
    row(['bulk load of this part', ...r.steps.map((s) => `${s.load.written.toLocaleString('en')} in ${s.load.seconds} s (${s.load.resourcesPerSecond} resources/s)`), '']),
    row(['store on disk', ...r.steps.map((s) => `${s.storeMb} MB`), '']),
    row(['server peak memory', ...r.steps.map((s) => `${s.peakRssMb} MB`), '']),
  ];
}

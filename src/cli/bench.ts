import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { growthTable, runGrowth } from '../bench/growth';
import { load, request, resetConnections, type Measure } from '../bench/load';
import { operationPhases, phaseSubjects, readAndSearchPhases, repeated, runPhases, summary, type Phase, type PhaseMeasure } from '../bench/phases';
import { bulkLoad, diskMb, readCeiling, startServer } from '../bench/run';
import { firstVersions, readNdjson, registryWithGuide, storeWriteRate } from '../bench/store-ceiling';
import { getRegistry } from '../definitions/registry';
import { parseCommandLine, runCommand, wholeNumber } from './command';

const USAGE = `Usage: npm run bench -- [--persons N] [--days D] [--connections C] [--posters P] [--duration S] [--rounds R] [--auth smart|none] [--audit on|off] [--out results.json] [--smoke]
       npm run bench -- --growth SIZE1,SIZE2,... [--days D] [--connections C] [--duration S] [--rounds R] [--out results.json]
Generates a population, starts the server as its own process on a fresh data directory (embedded
store, the default configuration: tokens required and audit on, unless --auth none or --audit off),
and measures ingest, reads, searches and operations against their ceilings; each read, search and
operation phase --rounds times (figures are the medians). With audit on, read by id, a search and
$everything are measured again, round by round, on a second server with audit off on the same store,
side by side with the ratio.
--smoke: a small, quick run that checks the harness, never timings.
--growth: one population for the largest size (in resources), bulk-loaded size by size into one store;
after each size, the read and search phases; reports the ratio of p95 at the largest size to the smallest.`;

const CEILING_SAMPLE = 100_000;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    persons: { type: 'string', default: '200' },
    days: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
    posters: { type: 'string', default: '8' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench-results.json' },
    smoke: { type: 'boolean', default: false },
    growth: { type: 'string' },
    auth: { type: 'string', default: 'smart' },
    audit: { type: 'string', default: 'on' },
  });
  for (const [name, min] of [['persons', 1], ['days', 0], ['connections', 1], ['posters', 1], ['duration', 1], ['rounds', 1]] as const) wholeNumber(name, values[name], min);
  const rounds = Number(values.rounds);
  if (values.growth) return growth(values.growth, { days: Number(values.days), connections: Number(values.connections), durationMs: Number(values.duration) * 1000, rounds }, values.out as string);
  const smoke = values.smoke;
  const persons = smoke ? 10 : Number(values.persons);
  const o = { connections: smoke ? 4 : Number(values.connections), posters: smoke ? 2 : Number(values.posters), durationMs: (smoke ? 1 : Number(values.duration)) * 1000, rounds: smoke ? 1 : rounds };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pop-'));
  execFileSync(process.execPath, [path.join(__dirname, 'generate.js'), '--persons', String(persons), '--days', smoke ? '2' : String(values.days), '--out', dir], { stdio: 'inherit' });
  // one family per Bundle, read as it is posted (a large population's Bundles need not all be held at once)
  const bundles = fs.readdirSync(path.join(dir, 'bundles')).sort().map((f) => path.join(dir, 'bundles', f));
  const resources = bundles.reduce((n, f) => n + ((JSON.parse(fs.readFileSync(f, 'utf8')) as { entry?: unknown[] }).entry?.length ?? 0), 0);
  const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, persons, resources, options: o };
  const rows: [string, PhaseMeasure | number | string, string?][] = [];

  if (!['smart', 'none'].includes(values.auth as string) || !['on', 'off'].includes(values.audit as string)) {
    console.error(`--auth takes smart or none, --audit on or off\n\n${USAGE}`);
    return 2;
  }
  const configuration = { FHIR_AUTH: values.auth as string, FHIR_AUDIT: values.audit as string };
  results.configuration = configuration;
  const server = await startServer(configuration);
  const auth = server.headers;
  let auditOff: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    // ingest: transaction Bundles from concurrent posters
    const ingest = await load(async (i) => (await request(server.base, 'POST', fs.readFileSync(bundles[i], 'utf8'), auth())).status === 200, o.posters, 24 * 3600_000, bundles.length);
    const ingestRate = Math.round(resources / ingest.seconds);
    const peakAfterIngest = server.peakRssMb();
    // the store's own rate for the same versions with their index rows (extracted before timing), on a sample of up to 100,000
    const store = await storeWriteRate(firstVersions(registryWithGuide(getRegistry()), readNdjson(path.join(dir, 'ndjson'), CEILING_SAMPLE)));
    const ceiling = store.perSecond;
    rows.push(['ingest (transaction bundles)', `${ingestRate} resources/s`, `${((ingestRate / ceiling) * 100).toFixed(1)}% of the store's own ${ceiling}/s; bundle p95 ${ingest.p95} ms`]);
    results.ingest = { ...ingest, resourcesPerSecond: ingestRate, ceiling, ceilingIndexRowsPerResource: store.indexRowsPerResource };
    const loaderRate = bulkLoad(path.join(dir, 'ndjson'));
    resetConnections();
    rows.push(['ingest (bulk loader)', `${loaderRate} resources/s`, `${((loaderRate / ceiling) * 100).toFixed(1)}% of the ceiling`]);
    results.bulkLoader = { resourcesPerSecond: loaderRate };

    const subjects = phaseSubjects(path.join(dir, 'ndjson'));
    const samplePatient = (await request(`${server.base}/Patient/${subjects.patients[0]}`, 'GET', undefined, auth())).text;
    // the operations also one call at a time: their latency alone, without 31 others queued on 2 cores
    const alone = operationPhases(subjects).map(([name, url, allPages]): Phase => [`${name}, 1 connection`, url, allPages]);
    const measured = {
      ...(await runPhases(server.base, [...readAndSearchPhases(subjects), ...operationPhases(subjects)], { ...o, headers: auth })),
      ...(await runPhases(server.base, alone, { ...o, connections: 1, headers: auth })),
    };
    for (const [name, m] of Object.entries(measured)) {
      rows.push([name, m]);
      results[name] = m;
    }
    const update = await repeated(o.rounds, () => load(async (i) => {
      const p = JSON.parse(samplePatient) as { id: string; active?: boolean; meta?: unknown };
      p.active = i % 2 === 0;
      delete p.meta;
      return (await request(`${server.base}/Patient/${p.id}`, 'PUT', JSON.stringify(p), auth())).status === 200;
    }, Math.min(o.connections, 8), o.durationMs));
    rows.push(['update', update]);
    results.update = update;
    const ceilingRead = await repeated(o.rounds, () => readCeiling(samplePatient, o));
    const read = results['read by id'] as Measure;
    rows.push(['read ceiling (bare node:http)', ceilingRead, `reads reach ${((read.perSecond / ceilingRead.perSecond) * 100).toFixed(1)}% of it`]);
    results.readCeiling = ceilingRead;
    if (configuration.FHIR_AUDIT === 'on') {
      // the same phases on a server with audit off over the same store, alternating round by round
      auditOff = await startServer({ ...configuration, FHIR_AUDIT: 'off' }, server.dataDir);
      const picked = new Set(['read by id', 'search identifier', '$everything']);
      const compared = [...readAndSearchPhases(subjects), ...operationPhases(subjects)].filter(([name]) => picked.has(name));
      const on: Record<string, Measure[]> = {};
      const off: Record<string, Measure[]> = {};
      for (let r = 0; r < o.rounds; r++) {
        for (const [name, m] of Object.entries(await runPhases(server.base, compared, { ...o, rounds: 1, headers: auth }))) (on[name] ??= []).push(m);
        for (const [name, m] of Object.entries(await runPhases(auditOff.base, compared, { ...o, rounds: 1, headers: auditOff.headers }))) (off[name] ??= []).push(m);
      }
      const comparison: Record<string, unknown> = {};
      for (const [name] of compared) {
        const a = summary(on[name], { calls: 0, entries: 0 });
        const b = summary(off[name], { calls: 0, entries: 0 });
        const ratio = { throughput: Number((a.perSecond / b.perSecond).toFixed(3)), p95: Number((a.p95 / b.p95).toFixed(2)) };
        comparison[name] = { auditOn: a, auditOff: b, ratio };
        rows.push([`${name}, audit on`, a], [`${name}, audit off`, b, `audit on: ${(ratio.throughput * 100).toFixed(1)}% of the throughput, p95 x${ratio.p95}${name === 'read by id' ? ' (target: >= 85%, <= x1.3)' : ''}`]);
      }
      results.auditComparison = comparison;
      await auditOff.stop();
      auditOff = undefined;
    }
    results.peakRssMb = server.peakRssMb();
    results.peakRssMbAfterIngest = peakAfterIngest;
    results.storeMb = diskMb(server.dataDir);
  } finally {
    await auditOff?.stop();
    await server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.push(['server peak memory', `${results.peakRssMb} MB`, `(${results.peakRssMbAfterIngest} MB by the end of the transaction ingest)`], ['store on disk', `${results.storeMb} MB`]);
  console.log(`\nFHIR_AUTH=${configuration.FHIR_AUTH} FHIR_AUDIT=${configuration.FHIR_AUDIT}; ${persons} persons, ${resources} resources; ${o.rounds} rounds of each phase (medians); ${os.cpus().length} cores; node ${process.version}\n`);
  for (const [name, m, note] of rows) {
    const text = typeof m === 'object' ? `${m.perSecond}/s  p50 ${m.p50} ms  p95 ${m.p95} ms  p99 ${m.p99} ms  (${m.requests} requests, ${m.errors} errors${m.entriesPerCall ? `, ${m.entriesPerCall} entries per call` : ''})` : String(m);
    console.log(`${name.padEnd(32)} ${text}${note ? `  ${note}` : ''}`);
  }
  fs.writeFileSync(values.out as string, JSON.stringify(results, null, 2));
  console.log(`\nresults written to ${values.out}`);
  const failed = Object.values(results).some((r) => typeof r === 'object' && r !== null && 'errors' in r && (r as Measure).errors > 0 && (r as Measure).errors === (r as Measure).requests);
  return failed ? 1 : 0;
}

async function growth(sizesArg: string, o: { days: number; connections: number; durationMs: number; rounds: number }, out: string): Promise<number> {
  const sizes = sizesArg.split(',').map(Number);
  if (sizes.length < 2 || sizes.some((s, i) => !Number.isInteger(s) || s <= (sizes[i - 1] ?? 0))) {
    console.error(`--growth takes two or more increasing sizes in resources, e.g. 100000,1000000\n\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const log = (line: string) => console.log(`[growth ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
  const result = await runGrowth({ sizes, ...o, log });
  const machine = { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  console.log(`\ngrowth, ${o.days} days of readings per person, ${o.connections} connections, ${o.durationMs / 1000} s per phase; ${machine.cpus} cores; node ${machine.node}\n`);
  for (const line of growthTable(result)) console.log(line);
  fs.writeFileSync(out, JSON.stringify({ machine, options: { sizes, ...o }, ...result }, null, 2));
  console.log(`\nresults written to ${out}`);
  const failed = result.steps.some((s) => Object.values(s.phases).some((m) => m.errors > 0 && m.errors === m.requests));
  return failed ? 1 : 0;
}

runCommand(USAGE, main);

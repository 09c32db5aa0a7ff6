// Where ingest spends its CPU: times the write path's stages (validation as the profile hook runs it,
// index extraction) per resource over a generated population's NDJSON, without HTTP, then the SQLite
// store's writes of the same versions in transactions of 1,000 (as the bulk loader batches them).
// Build first (npm run build); then: node scripts/ingest-stages.mjs /tmp/pop/ndjson [rounds]
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
const { getRegistry } = require(path.join(dist, 'definitions', 'registry.js'));
const { validateOrThrow } = require(path.join(dist, 'validation', 'validate.js'));
const { extractIndexRows } = require(path.join(dist, 'search', 'extract.js'));
const { firstVersions, readNdjson, registryWithGuide, storeWriteRate } = require(path.join(dist, 'bench', 'store-ceiling.js'));

const dir = process.argv[2];
const rounds = Number(process.argv[3] ?? 3);
if (!dir) {
  console.error('Usage: node scripts/ingest-stages.mjs <ndjson-dir> [rounds]');
  process.exit(2);
}
const registry = registryWithGuide(getRegistry());
const resources = readNdjson(dir);

const stages = {
  validation: (r) => {
    const known = (r.meta?.profile ?? []).map((url) => registry.profiles.get(url)).filter(Boolean);
    if (known.length === 0) validateOrThrow(r);
    for (const sd of known) validateOrThrow(r, sd);
  },
  'index extraction': (r) => extractIndexRows(registry, r),
};
for (const r of resources) for (const fn of Object.values(stages)) fn(r); // warm up
// CPU time rather than wall time: the machine is shared, and other processes' load would count
const byType = {};
for (const r of resources) (byType[r.resourceType] ??= { n: 0, resources: [] }).resources.push(r);
for (const row of Object.values(byType)) row.n = row.resources.length;
for (const [stage, fn] of Object.entries(stages)) {
  for (const row of Object.values(byType)) {
    const start = process.cpuUsage();
    for (let round = 0; round < rounds; round++) for (const r of row.resources) fn(r);
    const used = process.cpuUsage(start);
    row[stage] = ((used.user + used.system) * 1000) / rounds; // nanoseconds per round
  }
}
const us = (ns, n) => (ns / n / 1000).toFixed(0).padStart(8);
console.log(`${resources.length} resources, ${rounds} rounds; CPU microseconds per resource`);
console.log(`${'type'.padEnd(24)}${'count'.padStart(8)}${Object.keys(stages).map((s) => s.padStart(18)).join('')}`);
const all = { n: resources.length };
for (const [type, row] of Object.entries(byType).sort((a, b) => b[1].n - a[1].n)) {
  console.log(`${type.padEnd(24)}${String(row.n).padStart(8)}${Object.keys(stages).map((s) => us(row[s], row.n).padStart(18)).join('')}`);
  for (const s of Object.keys(stages)) all[s] = (all[s] ?? 0) + row[s];
}
console.log(`${'all'.padEnd(24)}${String(all.n).padStart(8)}${Object.keys(stages).map((s) => us(all[s], all.n).padStart(18)).join('')}`);

// the store: every resource as a first version, in transactions of 1,000, into a fresh file
const store = await storeWriteRate(firstVersions(registry, resources));
console.log(
  `store writes: ${store.cpuMicrosPerResource} CPU microseconds per resource, ${store.perSecond} resources/s ` +
    `(${store.indexRowsPerResource} index rows per resource)`
);

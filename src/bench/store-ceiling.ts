import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addGuideDefinitions } from '../definitions/install-ig';
import { loadImplementationGuide } from '../definitions/ig';
import type { DefinitionRegistry } from '../definitions/registry';
import type { Resource } from '../fhir/types';
import { patientCompartments } from '../fhir/compartments';
import { extractIndexRows } from '../search/extract';
import type { WriteOp } from '../storage/port';
import { SqliteStore } from '../storage/sqlite/store';
import { firstLines } from './ndjson';

/**
 * The resources of every *.ndjson file directly in `dir`; with a `limit`, a sample of about that many:
 * the first lines of each file, in proportion to its share of the bytes.
 */
export function readNdjson(dir: string, limit = Infinity): Resource[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ndjson')).map((f) => path.join(dir, f));
  const bytes = files.map((f) => fs.statSync(f).size);
  const all = bytes.reduce((a, b) => a + b, 0);
  return files.flatMap((f, i) => firstLines(f, Number.isFinite(limit) ? Math.ceil((limit * bytes[i]) / all) : Infinity).map((l) => JSON.parse(l) as Resource));
}

/** The registry with the implementation guide's definitions, as the server has it after start. */
export function registryWithGuide(registry: DefinitionRegistry): DefinitionRegistry {
  addGuideDefinitions(registry, loadImplementationGuide());
  return registry;
}

/** The resources as first versions with the index rows and compartments the write path extracts for them. */
export function firstVersions(registry: DefinitionRegistry, resources: Resource[], lastUpdated = new Date().toISOString()): WriteOp[] {
  return resources.map((r) => {
    const index = extractIndexRows(registry, r);
    return {
      resourceType: r.resourceType,
      id: r.id as string,
      versionId: '1',
      lastUpdated,
      deleted: false,
      method: 'POST',
      json: JSON.stringify({ ...r, meta: { ...r.meta, versionId: '1', lastUpdated } }),
      index,
      compartments: patientCompartments(registry, r, index),
      expectedVersionId: null,
    };
  });
}

/**
 * The embedded store's own write rate for these versions (each with its index rows and compartments),
 * in transactions of 1,000 as the bulk loader batches them, into a fresh directory: the ingest
 * ceiling, without HTTP, validation or extraction.
 */
export async function storeWriteRate(ops: WriteOp[]): Promise<{ perSecond: number; cpuMicrosPerResource: number; indexRowsPerResource: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ceiling-'));
  const store = new SqliteStore({ dataDir });
  try {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < ops.length; i += 1000) await store.transaction((session) => session.write(ops.slice(i, i + 1000)));
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      perSecond: Math.round(ops.length / seconds),
      cpuMicrosPerResource: Math.round((used.user + used.system) / ops.length),
      indexRowsPerResource: Math.round((ops.reduce((n, op) => n + op.index.length, 0) / ops.length) * 10) / 10,
    };
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

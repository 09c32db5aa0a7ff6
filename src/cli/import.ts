import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { SingleBar, Presets } from 'cli-progress';
import { BulkLoader } from '../bulk/loader';
import { listInputFiles } from '../bulk/sources';
import { configOrExit, runCommand } from './command';
import { installImplementationGuide, profileValidationHook } from '../definitions/install-ig';
import { getRegistry } from '../definitions/registry';
import { GuardedStore } from '../guard/guarded-store';
import type { RequestContext } from '../fhir/context';
import { emptyHooks } from '../fhir/hooks';
import { createLogger } from '../logging';
import { createAuditStore, createStore } from '../storage';
import { bulkImportRecorder } from '../audit/bulk-event';
import { AuditAppender } from '../audit/appender';
import { loadCheckpointSigner } from '../audit/checkpoint';

const USAGE = `Usage: npm run import -- <file-or-folder>... [--batch N] [--restart]
Loads FHIR transaction/batch/collection Bundles (*.json) and NDJSON files (*.ndjson) into the store
configured by DATA_DIR (and the other variables of the README). Runs again skip what is loaded.`;

async function main(argv: string[]): Promise<number> {
  const paths: string[] = [];
  let batchSize = 1000;
  let restart = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--batch') batchSize = Number(argv[++i]);
    else if (argv[i] === '--restart') restart = true;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(USAGE);
      return 0;
    } else paths.push(argv[i]);
  }
  if (!paths.length || !Number.isInteger(batchSize) || batchSize < 1) {
    console.error(USAGE);
    return 2;
  }
  const config = configOrExit();
  const log = createLogger({ logLevel: 'warn' });
  const files = listInputFiles(paths);
  const total = await countItems(files);
  const store = await createStore(config);
  const hooks = emptyHooks();
  hooks.beforeStore.push(profileValidationHook(config.requiredProfiles));
  const base = { baseUrl: config.baseUrl, config, registry: getRegistry(), hooks, now: () => new Date() };
  await installImplementationGuide(base, store, log);
  // the loader writes as the server's own named work, through the same write path as the API
  const ctx: RequestContext = { ...base, requestId: 'import', store: GuardedStore.system({ main: store }, 'bulk-import', base), log };
  // every batch's writes are in the audit trail, recorded inside the batch's own write scope
  const auditStore = await createAuditStore(config);
  const trail = new AuditAppender(auditStore, base, await loadCheckpointSigner(config.dataDir));
  const checkpointFile = path.join(config.dataDir, 'import-checkpoint.json');
  if (restart) fs.rmSync(checkpointFile, { force: true });
  const errorFile = path.join(config.dataDir, 'import-errors.ndjson');
  const bar = new SingleBar(
    { format: '{bar} {percentage}% | {value}/{total} resources | {rate}/s | ETA {eta_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
    Presets.shades_classic
  );
  const started = Date.now();
  let done = 0;
  bar.start(total, 0, { rate: 0 });
  const loader = new BulkLoader(ctx, {
    batchSize,
    checkpointFile,
    errorFile,
    onWritten: config.audit ? bulkImportRecorder(trail, 'bulk-import') : undefined,
    onProgress: ({ resources }) => {
      done += resources;
      bar.update(Math.min(done, total), { rate: Math.round(done / Math.max((Date.now() - started) / 1000, 0.001)) });
    },
  });
  try {
    for (const file of files) await loader.loadFile(file);
  } finally {
    bar.stop();
    await store.close();
    await auditStore.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const s = loader.stats;
  console.log(
    `${s.files} files: ${s.written} written, ${s.unchanged} unchanged, ${s.failed} refused` +
      ` in ${seconds.toFixed(1)} s (${Math.round((s.written + s.unchanged) / Math.max(seconds, 0.001))} resources/s)` +
      (s.failed ? `; refusals in ${errorFile}` : '')
  );
  return s.failed ? 1 : 0;
}

/** Resources in the inputs, for the progress bar's total and ETA. */
async function countItems(files: string[]): Promise<number> {
  let n = 0;
  for (const file of files) {
    if (/\.ndjson$/i.test(file)) {
      for await (const line of readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity })) if (line.trim()) n++;
    } else {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { resourceType?: string; entry?: unknown[] };
      n += parsed.resourceType === 'Bundle' ? (parsed.entry?.length ?? 0) : 1;
    }
  }
  return n;
}

runCommand(() => main(process.argv.slice(2)));

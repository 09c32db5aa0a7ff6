import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { SingleBar, Presets } from 'cli-progress';
import { BulkLoader } from '../bulk/loader';
import { listInputFiles } from '../bulk/sources';
import { CommandError, commandConfig, parseCommandLine, runCommand, UsageError, wholeNumber } from './command';
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
import { trailHead } from '../audit/head';

const USAGE = `Usage: npm run import -- <file-or-folder>... [--batch N] [--restart]
Loads FHIR transaction/batch/collection Bundles (*.json) and NDJSON files (*.ndjson) into the store
configured by DATA_DIR (and the other variables of the README). Runs again skip what is loaded.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals: paths } = parseCommandLine(argv, { batch: { type: 'string', default: '1000' }, restart: { type: 'boolean', default: false } }, true);
  const batchSize = wholeNumber('batch', values.batch, 1) as number;
  if (!paths.length) throw new UsageError('no file or folder to import');
  const missing = paths.find((p) => !fs.existsSync(p));
  if (missing) throw new UsageError(`no such file or folder: ${missing}`);
  const files = listInputFiles(paths);
  if (!files.length) throw new UsageError(`no *.json or *.ndjson files in ${paths.join(', ')}`);
  const config = commandConfig();
  const log = createLogger({ logLevel: 'warn' });
  const counts = await countItems(files);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const store = await createStore(config);
  const hooks = emptyHooks();
  hooks.beforeStore.push(profileValidationHook(config.requiredProfiles));
  const base = { baseUrl: config.baseUrl, config, registry: getRegistry(), hooks, now: () => new Date() };
  await installImplementationGuide(base, store, log);
  // the loader writes as the server's own named work, through the same write path as the API
  const ctx: RequestContext = { ...base, requestId: 'import', store: GuardedStore.system({ main: store }, 'bulk-import', base), log };
  // every batch's writes are in the audit trail, recorded inside the batch's own write scope
  const auditStore = await createAuditStore(config);
  const trail = new AuditAppender(auditStore, base, await loadCheckpointSigner(config.dataDir), undefined, trailHead(config.dataDir, auditStore));
  const checkpointFile = path.join(config.dataDir, 'import-checkpoint.json');
  if (values.restart) fs.rmSync(checkpointFile, { force: true });
  const errorFile = path.join(config.dataDir, 'import-errors.ndjson');
  const bar = new SingleBar(
    { format: '{bar} {percentage}% | {value}/{total} resources | {rate}/s | ETA {eta_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
    Presets.shades_classic
  );
  const started = Date.now();
  let done = 0; // the bar's value: loaded and skipped
  let loaded = 0;
  bar.start(total, 0, { rate: 0 });
  const loader = new BulkLoader(ctx, {
    batchSize,
    checkpointFile,
    errorFile,
    onWritten: config.audit ? bulkImportRecorder(trail, 'bulk-import') : undefined,
    onProgress: ({ resources }) => {
      done += resources;
      loaded += resources;
      bar.update(Math.min(done, total), { rate: Math.round(loaded / Math.max((Date.now() - started) / 1000, 0.001)) });
    },
  });
  // what the checkpoint skipped (files loaded by an earlier run, or the part of a file before where it
  // stopped) is counted as done, so the bar ends full and the summary says so
  let skipped = 0;
  try {
    for (const file of files) {
      const before = done;
      await loader.loadFile(file);
      const passed = (counts.get(file) ?? 0) - (done - before);
      if (passed > 0) {
        skipped += passed;
        done += passed;
        bar.update(Math.min(done, total));
      }
    }
  } finally {
    bar.stop();
    await store.close();
    await auditStore.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const s = loader.stats;
  if (skipped && skipped === total) {
    console.log(`Nothing imported: all ${total} resources of ${s.files} files were loaded by an earlier run, as ${checkpointFile} records. --restart reads them all again (unchanged resources are still not rewritten).`);
    return 0;
  }
  console.log(
    `${s.files} files: ${s.written} written, ${s.unchanged} unchanged, ${s.failed} refused` +
      (skipped ? `, ${skipped} skipped as loaded by an earlier run (--restart reads them again)` : '') +
      ` in ${seconds.toFixed(1)} s (${Math.round((s.written + s.unchanged) / Math.max(seconds, 0.001))} resources/s)` +
      (s.failed ? `; refusals in ${errorFile}` : '')
  );
  return s.failed ? 1 : 0;
}

/** Resources in each input file, for the progress bar's total and ETA; a file that is not JSON ends the command. */
async function countItems(files: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const file of files) {
    let n = 0;
    if (/\.ndjson$/i.test(file)) {
      for await (const line of readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity })) if (line.trim()) n++;
    } else {
      let parsed: { resourceType?: string; entry?: unknown[] };
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
      } catch (err) {
        throw new CommandError(`${file} is not JSON: ${(err as Error).message.replace(/\s+/g, " ")}`, 2);
      }
      n = parsed.resourceType === 'Bundle' ? (parsed.entry?.length ?? 0) : 1;
    }
    counts.set(file, n);
  }
  return counts;
}

runCommand(USAGE, main);

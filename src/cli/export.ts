import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { configOrExit, parseCommandLine, runCommand, UsageError } from './command';
import { installImplementationGuide, profileValidationHook } from '../definitions/install-ig';
import { getRegistry } from '../definitions/registry';
import type { FhirRequest, RequestContext } from '../fhir/context';
import type { OperationOutcome } from '../fhir/types';
import { FhirError, isFhirError } from '../fhir/errors';
import { emptyHooks } from '../fhir/hooks';
import { GuardedStore } from '../guard/guarded-store';
import { createLogger } from '../logging';
import { createStore } from '../storage';
import { hasJobs } from '../storage/jobs';
import { deidRunner, deidSupported } from '../export/deid';
import { EXPORT_KIND, initialProgress, RISK_REPORT_FILE, RISK_REPORT_URL, type ExportProgress } from '../export/job';
import { parseKickoff, type ExportRequest } from '../export/request';
import { summariseRisk } from '../export/risk-summary';
import { runExportJob } from '../export/runner';
import { systemGrant } from '../guard/grant';

const USAGE = `Usage: npm run export -- --out DIR [--type Patient,Observation] [--since INSTANT] [--until INSTANT] [--type-filter 'Type?query']... [--deid pseudonymised|anonymised]
Exports the store configured by DATA_DIR (and the other variables of the README) to NDJSON files in DIR,
one or more per resource type, with a manifest.json, as the server's own named work (cli-export).
The same engine as [base]/$export: pages of EXPORT_PAGE_SIZE resources, EXPORT_FILE_MAX_RESOURCES per file.
--deid applies the policy of _deid (keys of the recipient system:cli-export). anonymised needs Patient
among the types and no --since, is held to EXPORT_ANON_K, _L, _MAX_AVERAGE_RISK and _MAX_SUPPRESSION,
writes DIR/risk-report.json and summarises it here; a release that does not meet them exits 1.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    out: { type: 'string' },
    type: { type: 'string', multiple: true },
    since: { type: 'string' },
    until: { type: 'string' },
    'type-filter': { type: 'string', multiple: true },
    deid: { type: 'string' },
  });
  const out = values.out;
  if (!out) throw new UsageError('--out DIR is needed');
  const query: [string, string][] = [
    ...(values.type ?? []).map((v): [string, string] => ['_type', v]),
    ...(values.since ? [['_since', values.since] as [string, string]] : []),
    ...(values.until ? [['_until', values.until] as [string, string]] : []),
    ...(values['type-filter'] ?? []).map((v): [string, string] => ['_typeFilter', v]),
    ...(values.deid ? [['_deid', values.deid] as [string, string]] : []),
  ];
  const config = configOrExit();
  const log = createLogger({ logLevel: 'warn' });
  const store = await createStore(config);
  const hooks = emptyHooks();
  hooks.beforeStore.push(profileValidationHook(config.requiredProfiles));
  const base = { baseUrl: config.baseUrl, config, registry: getRegistry(), hooks, now: () => new Date() };
  await installImplementationGuide(base, store, log);
  const guarded = GuardedStore.system({ main: store }, 'cli-export', base);
  const ctx: RequestContext = { ...base, requestId: 'export', store: guarded, log };
  const req: FhirRequest = { method: 'GET', path: ['$export'], query, headers: { prefer: 'respond-async' } };
  let request: ExportRequest;
  try {
    const { patientParam: _none, ...parsed } = parseKickoff(ctx, req, 'system', guarded.grant, { storeVersion: await store.currentStoreVersion() });
    if (parsed.deid && !deidSupported(parsed.deid)) throw new FhirError('not-implemented', 'FHIR-0501-DEID', `--deid ${parsed.deid} is not available`);
    request = parsed;
  } catch (err) {
    await store.close();
    if (isFhirError(err)) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (!hasJobs(store)) throw new Error('the store keeps no jobs');
  const jobs = store.jobs();
  const dir = path.resolve(out);
  fs.mkdirSync(dir, { recursive: true });
  // the whole store is counted once per type for the progress bar
  let total = 0;
  for (const type of request.types) total += (await guarded.search({ resourceTypes: [type], where: [], count: 0, total: 'accurate' })).total ?? 0;
  const bar = new SingleBar({ format: '{bar} {percentage}% | {value}/{total} resources | {type}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 }, Presets.shades_classic);
  bar.start(total, 0, { type: '' });
  const job = await jobs.create({ id: randomUUID(), kind: `${EXPORT_KIND}-cli`, owner: 'system:cli-export', request: JSON.stringify(request), progress: JSON.stringify(initialProgress()), now: Date.now() });
  const claimed = await jobs.claim(job.kind, 'cli', Date.now(), config.export.leaseMs);
  let outcome: string;
  let progress: ExportProgress | undefined;
  try {
    outcome = await runExportJob(
      {
        ctx: { ...base, log },
        store,
        jobs,
        ...deidRunner(config),
        rebuild: async (g) => ('system' in g ? systemGrant(g.system) : systemGrant('cli-export')),
        dirOf: () => dir,
        onPage: (_job, p) => {
          progress = p;
          bar.update(Math.min(p.exported, total), { type: request.types[p.typeIndex] ?? '' });
        },
      },
      claimed!,
      'cli'
    );
  } catch (err) {
    // the command's job row is no server's to sweep: gone with the command, whatever ended it
    await jobs.delete(job.id).catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  } finally {
    bar.stop();
  }
  const final = await jobs.get(job.id);
  await jobs.delete(job.id);
  await store.close();
  if (outcome !== 'completed' || !final) {
    const reason = final?.error ? (JSON.parse(final.error) as OperationOutcome).issue.map((i) => i.diagnostics).join('; ') : '';
    console.error(`Export ${outcome}${reason ? `: ${reason}` : ''}`);
    return 1;
  }
  progress = JSON.parse(final.progress) as ExportProgress;
  const entry = (kind: string) => progress!.files.filter((f) => f.kind === kind && f.count > 0).map((f) => ({ type: f.type, url: f.name, count: f.count }));
  const report = progress.anonymised?.report;
  const manifest = {
    transactionTime: request.transactionTime,
    request: request.requestUrl,
    requiresAccessToken: false,
    output: entry('output'),
    ...(request.since ? { deleted: entry('deleted') } : {}),
    error: entry('error'),
    ...(report ? { extension: { [RISK_REPORT_URL]: { url: RISK_REPORT_FILE, ...report } } } : {}),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  if (report) console.error(summariseRisk(report));
  if (report && !report.met) {
    // the runner released no data file; the error file says why, and so does the exit status
    console.error(`The anonymised release does not meet its policy (${report.failed.join('; ')}); no data file is released`);
    return 1;
  }
  console.log(`${progress.exported} resources in ${manifest.output.length} files in ${dir}`);
  return 0;
}

runCommand(USAGE, main);

import fsp from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isFhirError } from '../fhir/errors';
import type { Bundle, Parameters, Resource } from '../fhir/types';
import type { Grant } from '../guard/grant';
import { GuardedStore } from '../guard/guarded-store';
import { parseSearch } from '../search/parse';
import type { Predicate } from '../search/plan';
import { shapeResource } from '../search/summary';
import type { JobRecord, JobStore } from '../storage/jobs';
import { InvalidCursorError, type Store, type VersionRecord } from '../storage/port';
import { measureRelease, sameRelease } from './anon-measure';
import type { Anonymiser, Release } from './deid-anonymise';
import { ExportFiles, ResumeError } from './files';
import { jobDir, outcome, RISK_REPORT_FILE, type ExportProgress } from './job';
import { aboutPatients, deletedBelongs, elementsFor, typeWhere, type PlanContext } from './plan';
import type { ExportRequest, PersistedGrant } from './request';

/** A job claimed this often without finishing (its workers keep dying) fails instead of being tried again. */
export const MAX_ATTEMPTS = 5;

export interface RunnerDeps {
  ctx: PlanContext & { log: Logger };
  /** The raw store: the runner wraps it in the guarded store of each job's grant, and uses nothing else. */
  store: Store;
  jobs: JobStore;
  /** Compiles the grant of the token that started a job again. */
  rebuild(grant: PersistedGrant): Promise<Grant>;
  /** A per-resource transform after `_elements` (de-identification); null drops the resource. `release`: what an anonymised job's measuring pass decided. */
  transform?(req: ExportRequest, job: JobRecord, release?: Release): ((resource: Resource) => Resource | null) | undefined;
  /** The measurements of an `_deid=anonymised` job (without it such a job fails). */
  anonymiser?(req: ExportRequest, job: JobRecord): Anonymiser;
  /** Where a job's files go (DATA_DIR/export/<id> by default). */
  dirOf?(job: JobRecord): string;
  /** Called after every page is recorded (progress display; tests step in between pages). */
  onPage?(job: JobRecord, progress: ExportProgress): void | Promise<void>;
}

class LeaseLost extends Error {}

/**
 * Runs one claimed export job to its end: page after page from the guarded store of the job's grant
 * into NDJSON files, the job row updated (cursor, file sizes, lease) after every page, so memory holds
 * one page and a restarted worker goes on from the last page written. A cancelled job (the row says
 * so) stops at the next page and its files are removed.
 */
export async function runExportJob(deps: RunnerDeps, job: JobRecord, worker: string): Promise<'completed' | 'failed' | 'cancelled' | 'lost'> {
  const { ctx, jobs } = deps;
  const cfg = ctx.config.export;
  const req = JSON.parse(job.request) as ExportRequest;
  const p = JSON.parse(job.progress) as ExportProgress;
  const dir = deps.dirOf?.(job) ?? jobDir(ctx.config.dataDir, job.id);
  const files = new ExportFiles(dir, p.files, cfg.fileMaxResources);
  const now = () => ctx.now().getTime();
  const save = async () => {
    if (!(await jobs.update(job.id, { progress: JSON.stringify(p), leaseUntil: now() + cfg.leaseMs }, now(), worker))) throw new LeaseLost();
    await deps.onPage?.(job, p);
    if (cfg.pagePauseMs) await new Promise((r) => setTimeout(r, cfg.pagePauseMs));
    else await yieldLoop();
  };
  const fail = async (diagnostics: string, code = 'exception') => {
    await jobs.update(job.id, { state: 'failed', error: JSON.stringify(outcome('fatal', code, diagnostics)), expiresAt: now() + cfg.fileTtlSeconds * 1000 }, now(), worker);
    return 'failed' as const;
  };
  const finish = async () => {
    files.close('error');
    p.phase = 'done';
    const done = await jobs.update(job.id, { state: 'completed', progress: JSON.stringify(p), expiresAt: now() + cfg.fileTtlSeconds * 1000 }, now(), worker);
    if (!done) throw new LeaseLost();
    return 'completed' as const;
  };
  try {
    if (job.attempts > MAX_ATTEMPTS) return await fail(`The export was interrupted ${job.attempts - 1} times and is given up; start it again`);
    await files.prepare();
    const store = new GuardedStore({ main: deps.store }, await deps.rebuild(req.grant), { registry: ctx.registry, baseUrl: ctx.baseUrl });
    if (p.phase === 'output' && p.typeIndex === 0 && !p.cursor && p.files.length === 0 && req.refused.length) {
      const lines = req.refused.map((t) => JSON.stringify(outcome('error', 'forbidden', `${t} is not exported: the token has no read scope for it`)));
      await files.append('error', undefined, lines);
      await save();
    }
    let release: Release | undefined;
    if (req.deid === 'anonymised') {
      if (!deps.anonymiser) return await fail('This runner cannot measure an anonymised release');
      const measured = await measureRelease({ store, ctx, req, anonymiser: deps.anonymiser(req, job), policy: cfg.anonymised, pageSize: cfg.pageSize, renew: save });
      if (!measured.persisted.report.met) measured.persisted.suppressed = [];
      // a resumed job measures again: the files written so far were cut to the first decision
      if (p.anonymised && !sameRelease(p.anonymised, measured.persisted)) return await fail('The data changed while this anonymised export was interrupted; start a new export to measure it again', 'processing');
      p.anonymised = measured.persisted;
      await fsp.writeFile(path.join(dir, RISK_REPORT_FILE), JSON.stringify(measured.persisted.report, null, 2) + '\n');
      if (!measured.persisted.report.met) {
        const why = `The anonymised release does not meet its policy (${measured.persisted.report.failed.join('; ')}); no data file is released`;
        await files.append('error', undefined, [JSON.stringify(outcome('error', 'business-rule', why))]);
        return await finish();
      }
      release = measured.release;
    }
    const transform = deps.transform?.(req, job, release);
    const shape = lineShaper(deps, req, transform);
    // what the runner writes itself (the organizeOutputBy header, deletions) goes through the transform too: it names resources
    const own = (r: Resource): Resource | null => (transform ? transform(r) : r);
    if (req.organizeOutputBy === 'Patient') await byPatient(deps, store, req, p, files, shape, own, save);
    else await byType(deps, store, req, p, files, shape, save);
    if (req.since) await deletions(deps, store, req, p, files, own, save);
    return await finish();
  } catch (err) {
    if (err instanceof LeaseLost) {
      const current = await jobs.get(job.id);
      if (current?.state === 'cancelled' || !current) {
        await fsp.rm(dir, { recursive: true, force: true });
        if (current) await jobs.delete(job.id);
        return 'cancelled';
      }
      return 'lost';
    }
    if (err instanceof ResumeError) return fail(`The export cannot be resumed: ${err.message}`);
    if (err instanceof InvalidCursorError) return fail('The export cannot be resumed: its position in the store is no longer valid');
    if (isFhirError(err)) return fail(err.message, 'processing');
    ctx.log.error({ err, job: job.id }, 'export job failed');
    return fail('The export failed on the server (see its log)');
  }
}

type Shaper = (record: VersionRecord) => string | null;

type Own = (r: Resource) => Resource | null;

function lineShaper(deps: RunnerDeps, req: ExportRequest, transform: ((r: Resource) => Resource | null) | undefined): Shaper {
  return (record) => {
    const elements = elementsFor(req, record.resourceType);
    let json = record.json as string;
    // de-identification judges the whole resource (whose it is, even when _elements leaves out the subject), then `_elements` shapes what it releases
    if (transform) {
      const out = transform(JSON.parse(json) as Resource);
      if (!out) return null;
      json = JSON.stringify(out);
    }
    return elements ? shapeResource(deps.ctx.registry, json, undefined, elements) : json;
  };
}

const lines = (records: VersionRecord[], shape: Shaper) => records.map(shape).filter((l): l is string => l !== null);

async function byType(deps: RunnerDeps, store: GuardedStore, req: ExportRequest, p: ExportProgress, files: ExportFiles, shape: Shaper, save: () => Promise<void>) {
  const count = deps.ctx.config.export.pageSize;
  while (p.phase === 'output' && p.typeIndex < req.types.length) {
    const type = req.types[p.typeIndex];
    const page = await store.search({ resourceTypes: [type], where: typeWhere(deps.ctx, req, type), count, after: p.cursor, total: 'none' });
    const out = lines(page.records, shape);
    if (out.length) await files.append('output', type, out);
    p.exported += out.length;
    if (page.next) p.cursor = page.next;
    else {
      files.close('output', type);
      p.typeIndex++;
      p.cursor = undefined;
    }
    await save();
  }
}

/**
 * organizeOutputBy=Patient (Bulk Data STU3): per patient a Parameters header naming it, then the
 * Patient and the exported resources of its compartment; a patient's block never spans two files.
 */
async function byPatient(deps: RunnerDeps, store: GuardedStore, req: ExportRequest, p: ExportProgress, files: ExportFiles, shape: Shaper, own: Own, save: () => Promise<void>) {
  const { ctx } = deps;
  const count = Math.min(ctx.config.export.pageSize, 100);
  const others = req.types.filter((t) => t !== 'Patient');
  const plain = others.filter((t) => !req.typeFilters[t]?.length);
  const updated = (types: string[]) => {
    const q: [string, string][] = [['_lastUpdated', `le${req.transactionTime}`]];
    if (req.since) q.push(['_lastUpdated', `gt${req.since}`]);
    if (req.until) q.push(['_lastUpdated', `lt${req.until}`]);
    return parseSearch(ctx.registry, types, q, ctx.config, { handling: 'strict', baseUrl: ctx.baseUrl, now: ctx.now().getTime() }).where;
  };
  const branches: Predicate[] = others
    .filter((t) => !plain.includes(t))
    .map((t): Predicate => ({ kind: 'and', all: [{ kind: 'type', types: [t] }, ...typeWhere(ctx, req, t)] }));
  if (plain.length) branches.push({ kind: 'and', all: [{ kind: 'type', types: plain }, ...updated(plain)] });
  while (p.phase === 'output') {
    const patients = await store.search({ resourceTypes: ['Patient'], where: req.patients ? [aboutPatients('Patient', req.patients)] : [], count, after: p.cursor, total: 'none' });
    for (const patient of patients.records) {
      files.rollIfFull('output');
      let started = false;
      const write = async (out: string[]) => {
        if (!out.length) return;
        if (!started) {
          const header = own({ resourceType: 'Parameters', parameter: [{ name: 'header', valueReference: { reference: `Patient/${patient.id}` } }] } satisfies Parameters);
          if (!header) return;
          out = [JSON.stringify(header), ...out];
          started = true;
        }
        await files.append('output', undefined, out, true);
        p.exported += out.length;
      };
      if (req.types.includes('Patient')) {
        const own = await store.search({ resourceTypes: ['Patient'], where: [{ kind: 'id', ids: [patient.id] }, ...typeWhere(ctx, req, 'Patient')], count: 1, total: 'none' });
        await write(lines(own.records, shape));
      }
      let after: string | undefined;
      do {
        const page = branches.length
          ? await store.search({
              resourceTypes: others,
              where: [aboutPatients('Observation', [patient.id]), branches.length === 1 ? branches[0] : { kind: 'or', any: branches }],
              count: ctx.config.export.pageSize,
              after,
              total: 'none',
            })
          : { records: [], next: undefined };
        await write(lines(page.records, shape));
        after = page.next;
      } while (after);
    }
    if (patients.next) p.cursor = patients.next;
    else {
      files.close('output');
      p.phase = req.since ? 'deleted' : 'done';
      p.cursor = undefined;
      p.typeIndex = 0;
    }
    await save();
  }
}

/** `deleted` (for `_since`): a transaction Bundle of DELETE entries per page of resources deleted since, still deleted at kick-off. */
async function deletions(deps: RunnerDeps, store: GuardedStore, req: ExportRequest, p: ExportProgress, files: ExportFiles, own: Own, save: () => Promise<void>) {
  const { ctx } = deps;
  if (p.phase === 'output') {
    p.phase = 'deleted';
    p.typeIndex = 0;
    p.cursor = undefined;
  }
  while (p.phase === 'deleted' && p.typeIndex < req.types.length) {
    const type = req.types[p.typeIndex];
    const page = await store.history({
      resourceType: type,
      since: req.since,
      count: ctx.config.export.pageSize,
      beforeStoreVersion: p.cursor ? Number(p.cursor) : undefined,
      maxStoreVersion: req.storeVersion,
    });
    const entries: NonNullable<Bundle['entry']> = [];
    for (const r of page.records) {
      if (!r.deleted || r.lastUpdated <= (req.since as string) || (req.until && r.lastUpdated >= req.until)) continue;
      const current = await store.read(type, r.id).catch(() => undefined);
      if (!current || current.storeVersion !== r.storeVersion) continue; // recreated since: not deleted
      const prior = Number(r.versionId) > 1 ? await store.vread(type, r.id, String(Number(r.versionId) - 1)) : undefined;
      if (prior?.json && !deletedBelongs(ctx, req, JSON.parse(prior.json) as Resource)) continue;
      entries.push({ request: { method: 'DELETE', url: `${type}/${r.id}` } });
    }
    if (entries.length) {
      const bundle = own({ resourceType: 'Bundle', type: 'transaction', entry: entries } satisfies Bundle);
      if (bundle) await files.append('deleted', type, [JSON.stringify(bundle)]);
    }
    if (page.next !== undefined) p.cursor = String(page.next);
    else {
      files.close('deleted', type);
      p.typeIndex++;
      p.cursor = undefined;
    }
    await save();
  }
}

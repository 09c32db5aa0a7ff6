import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { FhirRequest, FhirResponse, RequestContext, ServerContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import { notFound as resourceNotFound } from '../fhir/interactions/read';
import type { Group } from '../fhir/types';
import { grantResolver } from '../guard/from-token';
import { systemGrant, type Grant } from '../guard/grant';
import type { OperationHandler } from '../operations/registry';
import { hasJobs, type JobRecord, type JobStore } from '../storage/jobs';
import type { Store } from '../storage/port';
import { EXPORT_KIND, initialProgress, jobDir, outcome, RISK_REPORT_FILE, RISK_REPORT_URL, type ExportFile, type ExportProgress } from './job';
import { parseKickoff, type ExportRequest, type PersistedGrant } from './request';
import { runExportJob, type RunnerDeps } from './runner';
import { deidRunner, deidSupported } from './deid';

export const STATUS_PATH = '$export-poll-status';
export const FILE_PATH = '$export-file';
export { RISK_REPORT_URL } from './job';

/** A plain answer of the status and file endpoints (src/http/export-endpoints.ts sends it). */
export interface AsyncAnswer {
  status: number;
  headers: Record<string, string>;
  /** A JSON body (manifest or OperationOutcome)... */
  body?: unknown;
  /** ...or a file to stream as NDJSON. */
  file?: string;
}

export interface ExportService {
  operation: OperationHandler;
  status(grant: Grant, id: string): Promise<AsyncAnswer>;
  cancel(grant: Grant, id: string): Promise<AsyncAnswer>;
  file(grant: Grant, id: string, name: string): Promise<AsyncAnswer>;
  /** One round of the worker: expired jobs removed, one job claimed and run (tests, the command line). */
  tick(): Promise<boolean>;
  close(): Promise<void>;
  jobs: JobStore;
  runner: RunnerDeps;
}

/**
 * FHIR Bulk Data Access (2.0.0, with STU3's `_until`, `organizeOutputBy` and `allowPartialManifests`):
 * the kick-off operation, the status and file endpoints, and the in-process workers. Jobs are rows
 * of the store's job table; workers claim them with a lease, so a job whose process died is resumed.
 */
export function createExportService(deps: { config: ServerContext['config']; registry: ServerContext['registry']; store: Store; log: Logger; baseCtx: ServerContext }): ExportService {
  const { config, store, log } = deps;
  if (!hasJobs(store)) throw new Error(`the ${store.kind} store keeps no jobs`);
  const jobs = store.jobs();
  const cfg = config.export;
  const resolve = grantResolver({ registry: deps.registry, config, baseUrl: config.baseUrl, store });
  const ctx = { ...deps.baseCtx, log };
  const runner: RunnerDeps = {
    ctx,
    store,
    jobs,
    rebuild: async (g: PersistedGrant) => ('token' in g ? resolve(g.token) : systemGrant(g.system)),
    ...deidRunner(config),
  };
  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const now = () => Date.now();
  const statusUrl = (id: string) => `${config.baseUrl}/${STATUS_PATH}/${id}`;
  const fileUrl = (id: string, name: string) => `${config.baseUrl}/${FILE_PATH}/${id}/${name}`;

  async function owned(grant: Grant, id: string): Promise<JobRecord> {
    const job = /^[0-9a-f-]{36}$/.test(id) ? await jobs.get(id) : undefined;
    // another client's job is as unknown as one that never existed
    if (!job || job.kind !== EXPORT_KIND || job.owner !== ownerOf(grant) || job.state === 'cancelled' || (job.expiresAt !== undefined && job.expiresAt < now())) {
      throw new FhirError('not-found', 'FHIR-0404-EXPORT', `No export job ${id.slice(0, 40)}`);
    }
    return job;
  }

  function manifest(job: JobRecord, req: ExportRequest, p: ExportProgress, closedOnly: boolean) {
    const entry = (f: ExportFile) => ({ ...(f.type && !(req.organizeOutputBy && f.kind === 'output') ? { type: f.type } : {}), url: fileUrl(job.id, f.name), count: f.count });
    const of = (kind: ExportFile['kind']) => p.files.filter((f) => f.kind === kind && (!closedOnly || !f.open) && f.count > 0).map(entry);
    return {
      transactionTime: req.transactionTime,
      request: req.requestUrl,
      requiresAccessToken: true,
      ...(req.organizeOutputBy ? { outputOrganizedBy: req.organizeOutputBy } : {}),
      output: of('output'),
      ...(req.since ? { deleted: of('deleted') } : {}),
      error: of('error'),
      // Bulk Data reserves `extension` for a server's own JSON object; the risk report is one
      ...(p.anonymised ? { extension: { [RISK_REPORT_URL]: { url: fileUrl(job.id, RISK_REPORT_FILE), ...p.anonymised.report } } } : {}),
    };
  }

  const operation: OperationHandler = {
    code: 'export',
    definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
    system: true,
    resourceTypes: ['Patient', 'Group'],
    type: true,
    instance: true,
    // a kick-off starts a job but changes no resource: GET is the spec's own form of it
    affectsState: false,
    async handle(rctx: RequestContext, req: FhirRequest, target) {
      const level = !target.resourceType ? 'system' : target.resourceType === 'Patient' && !target.id ? 'patient' : target.resourceType === 'Group' && target.id ? 'group' : undefined;
      if (!level) throw new FhirError('not-found', 'FHIR-0404-OPERATION', '$export runs at [base], Patient and Group/[id]', { code: 'not-supported' });
      const grant = rctx.store.grant;
      const parsed = parseKickoff(rctx, req, level, grant, { groupId: target.id, storeVersion: await rctx.store.currentStoreVersion() });
      if (parsed.deid && !deidSupported(parsed.deid)) {
        throw new FhirError('not-implemented', 'FHIR-0501-DEID', `_deid=${parsed.deid} is not available on this server`, { code: 'not-supported' });
      }
      const { patientParam, ...rest } = parsed;
      let patients = patientParam;
      if (level === 'group') {
        const members = await groupMembers(rctx, target.id as string);
        patients = patientParam ? patientParam.filter((p) => members.includes(p)) : members;
      }
      const request: ExportRequest = { ...rest, ...(patients ? { patients } : {}) };
      const owner = ownerOf(grant);
      const active = await jobs.list({ kind: EXPORT_KIND, owner, states: ['queued', 'running'] });
      if (active.length >= cfg.maxJobsPerClient) {
        throw new FhirError('too-many-requests', 'FHIR-0429-EXPORT', `At most ${cfg.maxJobsPerClient} exports may run at once for a client; wait for one to finish or cancel it`, {
          headers: { 'Retry-After': String(Math.max(cfg.retryAfterSeconds, 10)) },
        });
      }
      const job = await jobs.create({ id: randomUUID(), kind: EXPORT_KIND, owner, request: JSON.stringify(request), progress: JSON.stringify(initialProgress()), now: now() });
      wake();
      return {
        status: 202,
        headers: { 'Content-Location': statusUrl(job.id) },
        resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `Export started; poll ${statusUrl(job.id)}` }] },
      } satisfies FhirResponse;
    },
  };

  async function status(grant: Grant, id: string): Promise<AsyncAnswer> {
    const job = await owned(grant, id);
    const req = JSON.parse(job.request) as ExportRequest;
    const p = JSON.parse(job.progress) as ExportProgress;
    if (job.state === 'queued' || job.state === 'running') {
      const where = p.phase === 'deleted' ? 'deletions' : req.organizeOutputBy ? 'patients' : `type ${Math.min(p.typeIndex + 1, req.types.length)} of ${req.types.length}`;
      const headers = { 'Retry-After': String(cfg.retryAfterSeconds), 'X-Progress': job.state === 'queued' ? 'queued' : `${where}, ${p.exported} resources` };
      // STU3 partial manifests: the files finished so far, while the rest is written
      return { status: 202, headers, ...(req.allowPartialManifests ? { body: manifest(job, req, p, true) } : {}) };
    }
    const expires = { Expires: new Date(job.expiresAt ?? now()).toUTCString() };
    // export.html#response---error-status-1: a job that failed answers 5XX with an OperationOutcome
    if (job.state === 'failed') return { status: 500, headers: expires, body: job.error ? JSON.parse(job.error) : outcome('fatal', 'exception', 'The export failed on the server') };
    return { status: 200, headers: expires, body: manifest(job, req, p, false) };
  }

  async function cancel(grant: Grant, id: string): Promise<AsyncAnswer> {
    const job = await owned(grant, id);
    if (job.state === 'running') {
      // the worker sees it at its next page, stops, and removes the files
      await jobs.update(id, { state: 'cancelled' }, now());
    } else {
      await jobs.delete(id);
      await fsp.rm(jobDir(config.dataDir, id), { recursive: true, force: true });
    }
    return { status: 202, headers: {}, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `Export ${id} ${job.state === 'completed' ? 'released' : 'cancelled'}` }] } };
  }

  async function file(grant: Grant, id: string, name: string): Promise<AsyncAnswer> {
    const job = await owned(grant, id);
    const p = JSON.parse(job.progress) as ExportProgress;
    const req = JSON.parse(job.request) as ExportRequest;
    if (name === RISK_REPORT_FILE && p.anonymised) return riskReport(grant, job);
    const f = p.files.find((x) => x.name === name && (job.state === 'completed' || (req.allowPartialManifests && !x.open)));
    if (!f) throw new FhirError('not-found', 'FHIR-0404-EXPORT', `No file ${name.slice(0, 60)} in export ${id}`);
    // the files are served under the scopes of the token asking now, too
    const types = f.kind === 'output' ? (f.type ? [f.type] : req.types) : [];
    const denied = types.filter((t) => !grant.allows('s', t));
    if (denied.length) {
      throw new FhirError('forbidden', 'FHIR-0403-SCOPE', `No granted scope allows reading ${denied.join(', ')}`, { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
    }
    const expires = new Date(job.expiresAt ?? now() + cfg.fileTtlSeconds * 1000).toUTCString();
    const full = path.join(jobDir(config.dataDir, id), f.name);
    if (!fs.existsSync(full)) throw new FhirError('not-found', 'FHIR-0404-EXPORT', `No file ${name.slice(0, 60)} in export ${id}`);
    return { status: 200, headers: { 'Content-Type': 'application/fhir+ndjson', Expires: expires }, file: full };
  }

  /** An anonymised job's risk report: about the persons measured, so under a token that reads Patient. */
  function riskReport(grant: Grant, job: JobRecord): AsyncAnswer {
    const full = path.join(jobDir(config.dataDir, job.id), RISK_REPORT_FILE);
    if (job.state !== 'completed' || !fs.existsSync(full)) throw new FhirError('not-found', 'FHIR-0404-EXPORT', `No file ${RISK_REPORT_FILE} in export ${job.id}`);
    if (!grant.allows('s', 'Patient')) throw new FhirError('forbidden', 'FHIR-0403-SCOPE', 'No granted scope allows reading Patient', { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
    const expires = new Date(job.expiresAt ?? now() + cfg.fileTtlSeconds * 1000).toUTCString();
    return { status: 200, headers: { 'Content-Type': 'application/json', Expires: expires }, file: full };
  }

  /** Removes what expired, and the cancelled jobs whose worker died before removing them. */
  async function sweep(): Promise<void> {
    for (const job of await jobs.list({ kind: EXPORT_KIND, states: ['completed', 'failed', 'cancelled'] })) {
      const gone = job.state === 'cancelled' ? (job.leaseUntil ?? 0) < now() : job.expiresAt !== undefined && job.expiresAt < now();
      if (!gone) continue;
      await fsp.rm(jobDir(config.dataDir, job.id), { recursive: true, force: true });
      await jobs.delete(job.id);
    }
  }

  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let current: string | undefined;

  async function tick(): Promise<boolean> {
    await sweep();
    const job = await jobs.claim(EXPORT_KIND, workerId, now(), cfg.leaseMs);
    if (!job) return false;
    current = job.id;
    try {
      const ended = await runExportJob(runner, job, workerId);
      log.info({ job: job.id, outcome: ended, attempts: job.attempts }, 'export job ended');
    } finally {
      current = undefined;
    }
    return true;
  }

  function schedule(delay: number): void {
    if (stopped || cfg.workers === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = tick().then(
        (worked) => schedule(worked ? 0 : cfg.pollMs),
        (err) => {
          log.error({ err }, 'export worker round failed');
          schedule(cfg.pollMs);
        }
      );
    }, delay);
    timer.unref();
  }
  /** A new job: look now rather than at the next poll. */
  function wake(): void {
    if (timer && !current) {
      clearTimeout(timer);
      schedule(0);
    }
  }
  schedule(0);

  return {
    operation,
    status,
    cancel,
    file,
    tick,
    jobs,
    runner,
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const id = current;
      // let the page in flight end; the job's lease is given back so a restarted server takes it at once
      if (id) await jobs.update(id, { leaseUntil: 0 }, now(), workerId).catch(() => undefined);
      await running.catch(() => undefined);
      if (id) await jobs.update(id, { leaseUntil: 0 }, now(), workerId).catch(() => undefined);
    },
  };
}

/** Who a job belongs to: the client that started it, or a system context's name. */
export function ownerOf(grant: Grant): string {
  return grant.token?.clientId ?? grant.subject.clientId ?? `system:${grant.subject.system ?? '-'}`;
}

/** The patients a Group lists (Group.member.entity, active members); a group defined by characteristics only is refused. */
async function groupMembers(ctx: RequestContext, id: string): Promise<string[]> {
  const record = await ctx.store.read('Group', id);
  if (!record || record.deleted || !record.json) throw resourceNotFound('Group', id);
  const group = JSON.parse(record.json) as Group;
  if (!group.member?.length && (group.characteristic?.length || group.actual === false)) {
    throw new FhirError('unprocessable', 'FHIR-0422-EXPORT-GROUP', `Group/${id} is defined by characteristics, not by a list of members; such groups cannot be exported yet`, { code: 'not-supported' });
  }
  const today = ctx.now().toISOString();
  return [
    ...new Set(
      (group.member ?? [])
        .filter((m) => !m.inactive && !(m.period?.end && m.period.end < today))
        .map((m) => /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(m.entity?.reference ?? '')?.[1])
        .filter((p): p is string => !!p)
    ),
  ];
}

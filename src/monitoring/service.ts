import type { Logger } from 'pino';
import { upsertResources } from '../bulk/loader';
import type { MonitoringRecord } from '../audit/monitoring-event';
import { loadImplementationGuide } from '../definitions/ig';
import type { ServerContext } from '../fhir/context';
import type { Observation, ObservationDefinition, Resource } from '../fhir/types';
import { GuardedStore } from '../guard/guarded-store';
import { hasJobs, type JobStore } from '../storage/jobs';
import type { Store, VersionRecord, WriteOp } from '../storage/port';
import { evaluateObservation, type EvaluateDeps } from './evaluate';
import { RuleSet } from './rules';
import { CoalescingWorker } from '../workers/coalescing';

/** The name of the server's own context that judges readings and writes alerts. */
export const MONITORING_SYSTEM = 'monitoring';
/** The job-table row that keeps how far the version log has been judged. */
const POSITION_JOB = 'monitoring-position';
const PAGE = 200;

export interface MonitoringDeps {
  ctx: ServerContext;
  store: Store;
  log: Logger;
  /** Told of every alert raised and every reading that could not be judged (the audit trail); never throws. */
  onRecord?: (r: MonitoringRecord) => void;
  /** Whether what the monitoring context reads and writes can be recorded now; while not, it waits. */
  recordable?: () => boolean;
  /** Told when alerts were written (subscriptions look at the log at once). */
  onRaised?: () => void;
  guideDir?: string;
}

/**
 * Monitoring (issue #17): judges every Observation version committed against the rules (the guide's
 * ObservationDefinitions and those stored through the API) and raises alerts. Like subscription
 * matching it follows the store's version log from a position kept durably (a row of the job table),
 * so nothing is on the write path, a failure never fails a write, a restart resumes where it stopped,
 * and readings of batches and transactions are judged like any other. A commit only wakes it.
 * Re-judging a reading is harmless: an alert's id derives from its rule and reading.
 */
export class MonitoringService {
  readonly rules = new RuleSet();
  private readonly system: GuardedStore;
  private readonly jobs: JobStore;
  private readonly evaluate: EvaluateDeps;
  private timer: NodeJS.Timeout | undefined;
  private readonly worker = new CoalescingWorker(
    () => this.step(),
    (err) => this.deps.log.error({ err }, 'monitoring failed; it resumes from its last position')
  );

  constructor(private readonly deps: MonitoringDeps) {
    const { ctx, store } = deps;
    if (!hasJobs(store)) throw new Error(`the ${store.kind} store keeps no jobs`);
    this.jobs = store.jobs();
    this.system = GuardedStore.system({ main: store }, MONITORING_SYSTEM, ctx);
    this.evaluate = { store: this.system, ctx, maxAgeMs: ctx.config.monitoring.maxAgeDays * 86_400_000 };
  }

  /** The afterCommit hook: wakes the worker when readings or rules were written. */
  readonly afterCommit = (written: readonly WriteOp[]): void => {
    if (written.some((op) => op.resourceType === 'Observation' || op.resourceType === 'ObservationDefinition')) this.nudge();
  };

  /** Stores the guide's rules, loads the stored ones, takes up the position (at the log's end the first time), starts the worker. */
  async start(): Promise<void> {
    const { ctx, store, log } = this.deps;
    const guide = loadImplementationGuide(this.deps.guideDir).examples.filter((r): r is ObservationDefinition => r.resourceType === 'ObservationDefinition');
    await upsertResources({ ...ctx, requestId: 'startup', store: GuardedStore.system({ main: store }, 'monitoring-rules', ctx), log }, guide as Resource[]);
    let after: string | undefined;
    do {
      const page = await this.system.search({ resourceTypes: ['ObservationDefinition'], where: [], count: 500, total: 'none', after });
      for (const r of page.records) if (r.json) this.rules.put(JSON.parse(r.json) as ObservationDefinition);
      after = page.next;
    } while (after);
    if (!(await this.jobs.get(POSITION_JOB))) {
      const through = await store.currentStoreVersion();
      await this.jobs.create({ id: POSITION_JOB, kind: 'monitoring', owner: MONITORING_SYSTEM, request: '{}', progress: JSON.stringify({ through }), now: Date.now() });
    }
    log.info({ rules: this.rules.all().length }, 'monitoring rules loaded');
    this.timer = setInterval(() => this.nudge(), ctx.config.subscriptions.pollMs);
    this.timer.unref();
    this.nudge();
  }

  nudge(): void {
    this.worker.wake();
  }

  /** Resolves once every version committed so far has been judged (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await this.worker.settled();
      if ((await this.through()) >= (await this.deps.store.currentStoreVersion()) || this.worker.closed) return;
      this.nudge();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.worker.close();
  }

  private async through(): Promise<number> {
    const job = await this.jobs.get(POSITION_JOB);
    return job ? (JSON.parse(job.progress) as { through: number }).through : 0;
  }

  /** Judges the next page of the log; true when more versions follow. */
  private async step(): Promise<boolean> {
    // health data is read only with a record of it (DESIGN.md decision 11): while the trail is down, wait
    if (this.deps.recordable && !this.deps.recordable()) return false;
    const through = await this.through();
    const top = await this.deps.store.currentStoreVersion();
    if (top <= through) return false;
    const upTo = Math.min(top, through + PAGE);
    const page = (await this.deps.store.history({ maxStoreVersion: upTo, count: PAGE })).filter((v) => v.storeVersion > through).reverse();
    let raised = 0;
    for (const v of page) raised += await this.judge(v);
    await this.jobs.update(POSITION_JOB, { progress: JSON.stringify({ through: upTo }) }, Date.now());
    if (raised) this.deps.onRaised?.();
    return upTo < top;
  }

  private async judge(v: VersionRecord): Promise<number> {
    if (v.resourceType === 'ObservationDefinition') {
      if (v.deleted || !v.json) this.rules.remove(v.id);
      else this.rules.put(JSON.parse(v.json) as ObservationDefinition);
      return 0;
    }
    if (v.resourceType !== 'Observation' || v.deleted || !v.json) return 0;
    const obs = JSON.parse(v.json) as Observation;
    if (this.rules.forResource(obs).length === 0) return 0;
    const reading = `Observation/${v.id}/_history/${v.versionId}`;
    const { raised, failed } = await evaluateObservation(this.evaluate, this.rules, obs);
    for (const a of raised) this.record({ reading, patient: a.patient, alert: { id: a.id, rule: a.rule, evidence: a.evidence } });
    // a reading a rule cannot judge must not hold up the others: logged, recorded, passed over
    for (const { rule, error } of failed) {
      this.deps.log.error({ err: error, reading, rule }, 'a reading could not be judged by a monitoring rule');
      this.record({ reading, patient: obs.subject?.reference, error: `${rule}: ${(error as Error).message}` });
    }
    return raised.length;
  }

  private record(r: MonitoringRecord): void {
    try {
      this.deps.onRecord?.(r);
    } catch (err) {
      this.deps.log.error({ err }, 'a monitoring record could not be queued for the audit trail');
    }
  }
}

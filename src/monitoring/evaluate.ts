import type { WriteContext } from '../fhir/context';
import type { CareTeam, DetectedIssue, Observation, Patient, Resource, Task } from '../fhir/types';
import { prepareVersion } from '../fhir/write';
import type { GuardedStore } from '../guard/guarded-store';
import { parseSearch } from '../search/parse';
import { VersionConflictError } from '../storage/port';
import { alertId, alertResources, ALERT_ID_SYSTEM, type Alert } from './alerts';
import { judge, takenAt, type Rule, type RuleSet } from './rules';

export interface EvaluateDeps {
  /** The monitoring system context: it reads the person's readings and writes the alerts. */
  store: GuardedStore;
  ctx: Omit<WriteContext, 'store'>;
  /** Readings taken longer ago than this raise no alert (an import of old records is not an emergency); 0: no limit. */
  maxAgeMs: number;
}

/** An alert written: its id, the rule, the person and the evidence (for the audit trail). */
export interface RaisedAlert {
  id: string;
  rule: string;
  patient: string;
  evidence: string[];
}

const PATIENT = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;

/**
 * Judges one Observation against the rules for its codes and writes the alerts it raises, each in one
 * transaction (DetectedIssue, Flag, Task). An alert whose id exists already is not raised again. A rule
 * that fails (the store refused a read) is reported and does not keep the other rules from judging.
 */
export async function evaluateObservation(deps: EvaluateDeps, rules: RuleSet, obs: Observation): Promise<{ raised: RaisedAlert[]; failed: { rule: string; error: unknown }[] }> {
  const raised: RaisedAlert[] = [];
  const failed: { rule: string; error: unknown }[] = [];
  const patient = obs.subject?.reference;
  if (!obs.id || !patient || !PATIENT.test(patient)) return { raised, failed };
  for (const rule of rules.forResource(obs)) {
    try {
      const alert = await judgeRule(deps, rule, patient, obs);
      if (alert) raised.push(alert);
    } catch (error) {
      failed.push({ rule: rule.key, error });
    }
  }
  return { raised, failed };
}

async function judgeRule(deps: EvaluateDeps, rule: Rule, patient: string, obs: Observation): Promise<RaisedAlert | undefined> {
  const judged = judge(rule, obs);
  if (!judged) return undefined;
  const now = deps.ctx.now();
  const at = takenAt(obs) ?? (Date.parse(obs.meta?.lastUpdated ?? '') || now.getTime());
  if (deps.maxAgeMs && now.getTime() - at > deps.maxAgeMs) return undefined;
  const id = alertId(rule.key, obs.id as string);
  if (await deps.store.read('DetectedIssue', id)) return undefined;
  const evidence = rule.sustained ? await sustainedEvidence(deps, rule, patient, obs, at) : [obs];
  if (rule.sustained && evidence.length < rule.sustained.count) return undefined;
  const alert: Alert = { rule, patient, trigger: { observation: obs, ...judged }, evidence, owner: await ownerOf(deps, patient), now };
  if (!(await write(deps, alert))) return undefined;
  return { id, rule: rule.key, patient, evidence: evidence.map((o) => `Observation/${o.id}`) };
}

/** Writes the alert's three resources; false when another worker raised it first. */
async function write(deps: EvaluateDeps, alert: Alert): Promise<boolean> {
  const { issue, flag, task } = alertResources(alert);
  try {
    return await deps.store.transaction(async (session) => {
      if (await session.read('DetectedIssue', issue.id as string)) return false;
      const ops = [issue, flag, task].map((r) => prepareVersion({ ...deps.ctx, store: session }, r, { id: r.id as string, previous: undefined, method: 'PUT' }));
      await session.write(ops);
      return true;
    });
  } catch (err) {
    if (err instanceof VersionConflictError) return false;
    throw err;
  }
}

function plan(deps: EvaluateDeps, type: string, query: [string, string][]) {
  const { where } = parseSearch(deps.ctx.registry, [type], query, deps.ctx.config, { handling: 'strict', baseUrl: deps.ctx.config.baseUrl, now: Date.now() });
  return { resourceTypes: [type], where, count: 200, total: 'none' as const };
}

const parse = <T extends Resource>(json: string | undefined) => (json ? (JSON.parse(json) as T) : undefined);

/**
 * The person's readings in the rule's interval taken within its period up to this one (this one
 * included), oldest first, leaving out those already evidence of an alert of the same rule.
 */
async function sustainedEvidence(deps: EvaluateDeps, rule: Rule, patient: string, obs: Observation, at: number): Promise<Observation[]> {
  const period = rule.sustained?.periodMs ?? 0;
  const codes = rule.codes.map((c) => `${c.system}|${c.code}`).join(',');
  const readings = await deps.store.search(
    plan(deps, 'Observation', [
      ['patient', patient],
      ['combo-code', codes],
      ['date', `ge${new Date(at - period).toISOString()}`],
      ['date', `le${new Date(at).toISOString()}`],
    ])
  );
  const issues = await deps.store.search(
    plan(deps, 'DetectedIssue', [
      ['patient', patient],
      ['monitoring-rule', rule.definition],
    ])
  );
  const used = new Set<string>();
  for (const r of issues.records) {
    const issue = parse<DetectedIssue>(r.json);
    if (!issue?.identifier?.some((i) => i.system === ALERT_ID_SYSTEM && i.value?.startsWith(`${rule.key}|`))) continue;
    for (const e of issue.evidence ?? []) for (const d of e.detail ?? []) if (d.reference) used.add(d.reference);
  }
  const found = new Map<string, Observation>([[obs.id as string, obs]]);
  for (const r of readings.records) {
    const o = parse<Observation>(r.json);
    if (o?.id && o.subject?.reference === patient && judge(rule, o)) found.set(o.id, o);
  }
  return [...found.values()]
    .filter((o) => !used.has(`Observation/${o.id}`))
    .map((o) => ({ o, t: o === obs ? at : (takenAt(o) ?? 0) }))
    .filter(({ t }) => t <= at && t >= at - period)
    .sort((a, b) => a.t - b.t)
    .map(({ o }) => o);
}

/** Whom the Task goes to: the person's first generalPractitioner, else an active CareTeam about them. */
async function ownerOf(deps: EvaluateDeps, patient: string): Promise<Task['owner']> {
  const id = PATIENT.exec(patient)?.[1] as string;
  const p = parse<Patient>((await deps.store.read('Patient', id))?.json);
  const gp = p?.generalPractitioner?.find((r) => r.reference);
  if (gp) return { reference: gp.reference } as Task['owner'];
  const teams = await deps.store.search({ ...plan(deps, 'CareTeam', [['subject', patient], ['status', 'active']]), count: 1 });
  const team = parse<CareTeam>(teams.records[0]?.json);
  return team?.id ? { reference: `CareTeam/${team.id}` } : undefined;
}

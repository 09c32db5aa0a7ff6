import { createHash } from 'node:crypto';
import type { DetectedIssue, Flag, Observation, Task } from '../fhir/types';
import { EXT, type Reading, type Rule } from './rules';

export const RULE_EXT = `${EXT}/monitoring-rule`;
/** The identifier system of alerts: the value names the rule and the reading that raised it. */
export const ALERT_ID_SYSTEM = 'http://insured.example.org/fhir/sid/monitoring-alert';
const FLAG_DETAIL = 'http://hl7.org/fhir/StructureDefinition/flag-detail';

/** What raised an alert: the rule, the person, the reading judged now and all the evidence readings. */
export interface Alert {
  rule: Rule;
  patient: string;
  /** The Observation judged now (its id makes the alert's id). */
  trigger: { observation: Observation; reading: Reading; value: number };
  /** The readings that are evidence, oldest first (the trigger among them). */
  evidence: Observation[];
  /** Whom the Task goes to: a generalPractitioner or the person's CareTeam. */
  owner?: Task['owner'];
  now: Date;
}

/**
 * The id all three resources of an alert share: the same rule on the same reading always gives the
 * same id, so an alert is raised once however often the reading is written.
 */
export function alertId(ruleKey: string, observationId: string): string {
  return `alert-${createHash('sha256').update(`${ruleKey}|Observation/${observationId}`).digest('hex').slice(0, 40)}`;
}

const fmt = (n: number) => String(Number(n.toPrecision(6)));

function thresholdText(rule: Rule): string {
  const u = rule.unitDisplay ?? rule.unit;
  const parts: string[] = [];
  if (rule.low !== undefined) parts.push(`${rule.exclusive ? '>' : '≥'} ${fmt(rule.low)} ${u}`);
  if (rule.high !== undefined) parts.push(`${rule.exclusive ? '<' : '≤'} ${fmt(rule.high)} ${u}`);
  return parts.join(' and ');
}

/** The DetectedIssue (with the evidence), the Flag on the person and the Task for the care team. */
export function alertResources(a: Alert): { issue: DetectedIssue; flag: Flag; task: Task } {
  const id = alertId(a.rule.key, a.trigger.observation.id as string);
  const ruleRef = { url: RULE_EXT, valueReference: { reference: a.rule.definition } };
  const patient = { reference: a.patient };
  const when = a.now.toISOString();
  const code = a.trigger.reading.codes.find((c) => a.rule.codes.some((r) => r.system === c.system && r.code === c.code)) ?? a.rule.codes[0];
  const q = a.trigger.reading.value;
  const detail = `${a.rule.condition}. Reading ${fmt(Number(q.value))} ${q.unit ?? q.code ?? ''}`.trimEnd() +
    (a.rule.sustained ? `; ${a.evidence.length} readings ${thresholdText(a.rule)} within ${Math.round(a.rule.sustained.periodMs / 86_400_000)} days` : `; threshold ${thresholdText(a.rule)}`);
  const issue: DetectedIssue = {
    resourceType: 'DetectedIssue',
    id,
    extension: [ruleRef],
    identifier: [{ system: ALERT_ID_SYSTEM, value: `${a.rule.key}|Observation/${a.trigger.observation.id}` }],
    status: 'final',
    code: { coding: [code], text: a.rule.condition },
    severity: 'high',
    patient,
    identifiedDateTime: when,
    detail,
    evidence: [{ code: [{ coding: [code] }], detail: a.evidence.map((o) => ({ reference: `Observation/${o.id}` })) }],
  };
  const flag: Flag = {
    resourceType: 'Flag',
    id,
    extension: [ruleRef, { url: FLAG_DETAIL, valueReference: { reference: `DetectedIssue/${id}` } }],
    status: 'active',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical', display: 'Clinical' }] }],
    code: { coding: [code], text: a.rule.condition },
    subject: patient,
    period: { start: when },
  };
  const task: Task = {
    resourceType: 'Task',
    id,
    extension: [ruleRef],
    status: 'requested',
    intent: 'order',
    priority: 'urgent',
    description: `Review the alert: ${detail}`,
    focus: { reference: `DetectedIssue/${id}` },
    for: patient,
    authoredOn: when,
    ...(a.owner ? { owner: a.owner } : {}),
  };
  return { issue, flag, task };
}

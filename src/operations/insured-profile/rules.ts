import type { Condition, Encounter, Observation, Patient, Reference, Resource, RiskAssessment } from '../../fhir/types';
import { dayMs, extValue } from './gather';

/**
 * The explicit rules behind the profile's recommendations and risk flags. Each rule states its reason
 * and the resources it rests on; documented in docs/insured-profile.md.
 */
export interface Finding {
  rule: string;
  recommendation: string;
  reason: string;
  evidence: Resource[];
  risk: 'high' | 'moderate' | 'low';
  /** A score where one applies (0..1). */
  probability?: number;
}

export interface ProfileData {
  now: number;
  conditions: Condition[];
  encounters: Encounter[];
  observations: Observation[];
  contributions: Resource[];
}

const CHRONIC = /diabet|hypertens|asthma|copd|chronic|heart failure|kidney disease|E1[0-4]|I1[0-5]|J4[4-5]|N18/i;
const SYSTOLIC = new Set(['8480-6']);
const HEALTH_CHECK = /health[- ]?check|check[- ]?up|annual physical|routine examination|Z00/i;

const conceptText = (c: { text?: string; coding?: { code?: string; display?: string }[] } | undefined) =>
  [c?.text, ...(c?.coding ?? []).flatMap((x) => [x.code, x.display])].filter(Boolean).join(' ');

function when(r: Encounter | Observation): number {
  const text = r.resourceType === 'Encounter' ? r.period?.start : (r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.issued);
  return Date.parse(text ?? '') || 0;
}

/** R1: an active chronic condition with no encounter in the last 6 months: follow-up is due. */
function chronicFollowUp(d: ProfileData): Finding[] {
  const chronic = d.conditions.filter((c) => CHRONIC.test(conceptText(c.code)) && (c.clinicalStatus?.coding?.[0]?.code ?? 'active') === 'active');
  if (!chronic.length) return [];
  const recent = d.encounters.filter((e) => when(e) >= d.now - dayMs(182));
  if (recent.length) return [];
  return [
    {
      rule: 'chronic-follow-up',
      recommendation: 'Book a follow-up visit for the chronic condition.',
      reason: `Active chronic condition (${chronic.map((c) => conceptText(c.code)).join('; ')}) with no encounter in the last 6 months.`,
      evidence: chronic,
      risk: 'moderate',
    },
  ];
}

/** R2: mean systolic blood pressure over the last 30 days above 140 mmHg. */
function bloodPressureTrend(d: ProfileData): Finding[] {
  const readings = d.observations.filter((o) => o.code?.coding?.some((c) => SYSTOLIC.has(c.code ?? '')) && when(o) >= d.now - dayMs(30) && typeof o.valueQuantity?.value === 'number');
  if (readings.length < 3) return [];
  const mean = readings.reduce((s, o) => s + (o.valueQuantity?.value as number), 0) / readings.length;
  if (mean <= 140) return [];
  return [
    {
      rule: 'blood-pressure-trend',
      recommendation: 'Review blood pressure with a doctor.',
      reason: `Mean systolic blood pressure over the last 30 days is ${mean.toFixed(0)} mmHg (over 140), from ${readings.length} readings.`,
      evidence: readings,
      risk: mean > 160 ? 'high' : 'moderate',
      probability: Math.min(1, (mean - 140) / 60),
    },
  ];
}

/** R3: no health check in the last 12 months. */
function healthCheckOverdue(d: ProfileData): Finding[] {
  const checks = d.encounters.filter((e) => (e.type ?? []).some((t) => HEALTH_CHECK.test(conceptText(t))) && when(e) >= d.now - dayMs(365));
  if (checks.length) return [];
  return [{ rule: 'health-check-overdue', recommendation: 'Schedule a health check.', reason: 'No health check recorded in the last 12 months.', evidence: [], risk: 'low' }];
}

/** R4: a missing contribution in the last 3 months: coverage will lapse if the gap is not closed. */
function contributionGap(d: ProfileData): Finding[] {
  const missing = d.contributions.filter((c) => extValue(c, 'contribution-status') === 'missing' && Date.parse(extValue(c, 'covered-period')?.start ?? '') >= d.now - dayMs(92));
  if (!missing.length) return [];
  return [
    {
      rule: 'contribution-gap',
      recommendation: 'Pay the missing contributions to keep coverage.',
      reason: `${missing.length} contribution(s) in the last 3 months are missing; coverage lapses when contributions stop.`,
      evidence: missing,
      risk: 'high',
    },
  ];
}

export const RULES = [chronicFollowUp, bloodPressureTrend, healthCheckOverdue, contributionGap];

export function evaluateRules(d: ProfileData): Finding[] {
  return RULES.flatMap((rule) => rule(d));
}

/** A finding as a RiskAssessment: the prediction, its basis (evidence) and the recommended mitigation. */
export function riskAssessment(f: Finding, subject: Reference<Patient>, now: string, refOf: (r: Resource) => Reference): RiskAssessment {
  return {
    resourceType: 'RiskAssessment',
    status: 'final',
    subject,
    occurrenceDateTime: now,
    code: { coding: [{ system: 'http://insured.example.org/fhir/CodeSystem/profile-rule', code: f.rule }], text: f.rule },
    basis: f.evidence.map(refOf),
    prediction: [
      {
        outcome: { text: f.reason },
        qualitativeRisk: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: f.risk }] },
        ...(f.probability !== undefined ? { probabilityDecimal: Number(f.probability.toFixed(2)) } : {}),
      },
    ],
    mitigation: f.recommendation,
  };
}

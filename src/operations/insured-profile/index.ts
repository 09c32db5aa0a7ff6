import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../fhir/context';
import { notFound } from '../../fhir/interactions/read';
import type { Bundle, BundleEntry, Composition, CompositionSection, Condition, Encounter, ExplanationOfBenefit, Observation, Patient, Reference, Resource } from '../../fhir/types';
import type { OperationHandler } from '../registry';
import { count, dayMs, extValue, find } from './gather';
import { evaluateRules, riskAssessment } from './rules';

/** Peer figures are released only for groups at least this large (small-cell suppression). */
export const MIN_PEER_GROUP = 10;
const XHTML = 'http://www.w3.org/1999/xhtml';

/**
 * Patient/$insured-profile (the guide's OperationDefinition Patient-insured-profile): a document Bundle
 * whose Composition summarises the insured person in five sections (medical history, monitoring,
 * insurance and finance, utilisation against peers, recommendations), each referring to its sources.
 */
export const insuredProfileOperation: OperationHandler = {
  code: 'insured-profile',
  definition: 'http://insured.example.org/fhir/OperationDefinition/Patient-insured-profile',
  resourceTypes: ['Patient'],
  instance: true,
  affectsState: false,
  async handle(ctx, _req, target) {
    const id = target.id as string;
    const current = await ctx.store.read('Patient', id);
    if (!current || current.deleted) throw notFound('Patient', id);
    const patient = JSON.parse(current.json as string) as Patient;
    const now = ctx.now().getTime();
    const p = `patient=Patient/${id}`;
    const since = (days: number) => new Date(now - dayMs(days)).toISOString().slice(0, 10);

    const [conditions, procedures, allergies, dispenses, encounters, observations, coverages, basics, settlements, family] = await Promise.all([
      find<Condition>(ctx, 'Condition', p),
      find(ctx, 'Procedure', p),
      find(ctx, 'AllergyIntolerance', p),
      find(ctx, 'MedicationDispense', p),
      find<Encounter>(ctx, 'Encounter', p),
      find<Observation>(ctx, 'Observation', `${p}&date=ge${since(90)}`),
      find(ctx, 'Coverage', `beneficiary=Patient/${id}`),
      find(ctx, 'Basic', `subject=Patient/${id}`),
      find<ExplanationOfBenefit>(ctx, 'ExplanationOfBenefit', p),
      find(ctx, 'RelatedPerson', p),
    ]);
    const kind = (code: string) => basics.filter((b) => (b as { code?: { coding?: { code?: string }[] } }).code?.coding?.some((c) => c.code === code));
    const contributions = kind('contribution');
    const transactions = kind('account-transaction').sort((a, b) => String(extValue(b, 'record-date')).localeCompare(String(extValue(a, 'record-date'))));
    const creditRecords = kind('credit-record');
    const findings = evaluateRules({ now, conditions, encounters, observations, contributions });

    const included = new Map<string, Resource>();
    const ref = (r: Resource): Reference => {
      included.set(`${r.resourceType}/${r.id}`, r);
      return { reference: `${r.resourceType}/${r.id}` };
    };
    const subject = ref(patient) as Reference<Patient>;
    const recentEncounters = encounters.filter((e) => Date.parse(e.period?.start ?? '') >= now - dayMs(365));
    const monitoring = latestByKind(observations.filter((o) => o.device), now);
    const years = yearly(encounters, settlements, contributions);
    const peers = await peerFigures(ctx, patient, now);
    const risks = findings.map((f) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource: riskAssessment(f, subject, new Date(now).toISOString(), ref) }));

    const sections: CompositionSection[] = [
      section('Medical history', [...conditions, ...procedures, ...allergies, ...dispenses.slice(-20), ...recentEncounters].map(ref), [
        `${conditions.length} conditions (${conditions.filter((c) => (c.clinicalStatus?.coding?.[0]?.code ?? 'active') === 'active').length} active), ${procedures.length} procedures, ${allergies.length} allergies`,
        `${dispenses.length} medicines dispensed, ${recentEncounters.length} encounters in the last 12 months`,
      ]),
      section(
        'Monitoring',
        monitoring.map((m) => ref(m.latest)),
        monitoring.map((m) => `${m.kind}: latest ${m.latestValue}; 30-day mean ${m.mean30 ?? 'n/a'}; 90-day mean ${m.mean90 ?? 'n/a'}; trend ${m.trend}`)
      ),
      section('Insurance and finance', [...coverages, ...contributions.slice(-24), ...settlements.slice(-24), ...transactions.slice(0, 10), ...family, ...creditRecords].map(ref), [
        `${coverages.length} coverages; account balance ${transactions[0] ? money(extValue(transactions[0], 'balance-after')) : 'unknown'}`,
        ...years.map((y) => `${y.year}: contributions ${y.contributions.toFixed(2)} paid (${y.missing} missing); expenditure pooled ${y.pooled.toFixed(2)}, personal account ${y.personal.toFixed(2)}, self-paid ${y.self.toFixed(2)}`),
        `${family.length} family relationships; ${creditRecords.length} credit records`,
      ]),
      section('Utilisation', [], [
        ...years.map((y) => `${y.year}: ${y.encounters} encounters (${Object.entries(y.byClass).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), spend ${(y.pooled + y.personal + y.self).toFixed(2)}`),
        `${dispenses.length} medicines dispensed in all`,
        peers
          ? `Peers (${peers.band}, ${patient.gender}, ${peers.size} insured people): ${peers.encountersPerPerson.toFixed(2)} encounters per person this year, against ${years.find((y) => y.year === new Date(now).getUTCFullYear())?.encounters ?? 0}`
          : `Peer comparison withheld: fewer than ${MIN_PEER_GROUP} insured people of the same age band and sex, or age or sex unknown`,
      ]),
      section(
        'Recommendations',
        risks.map((r) => ({ reference: r.fullUrl })),
        findings.length ? findings.map((f) => `${f.recommendation} Reason: ${f.reason}`) : ['No rule raised a recommendation.']
      ),
    ];
    const composition: Composition = {
      resourceType: 'Composition',
      status: 'final',
      type: { coding: [{ system: 'http://loinc.org', code: '60591-5', display: 'Patient summary Document' }], text: 'Insured person profile' },
      subject,
      date: new Date(now).toISOString(),
      author: [{ display: 'insured-fhir-server' }],
      title: `Insured person profile`,
      section: sections,
    };
    const entry: BundleEntry[] = [
      { fullUrl: `urn:uuid:${randomUUID()}`, resource: composition },
      ...[...included.values()].map((r) => ({ fullUrl: `${ctx.baseUrl}/${r.resourceType}/${r.id}`, resource: r })),
      ...risks,
    ];
    const bundle: Bundle = {
      resourceType: 'Bundle',
      identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` },
      type: 'document',
      timestamp: new Date(now).toISOString(),
      entry,
    };
    return { status: 200, resource: bundle };
  },
};

function section(title: string, entry: Reference[], lines: string[]): CompositionSection {
  const items = lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('');
  return { title, code: { text: title }, text: { status: 'generated', div: `<div xmlns="${XHTML}"><ul>${items}</ul></div>` }, ...(entry.length ? { entry } : {}) };
}

/** The latest device reading per kind, with 30- and 90-day means and the direction between them. */
function latestByKind(observations: Observation[], now: number) {
  const groups = new Map<string, Observation[]>();
  for (const o of observations) {
    const key = o.code?.coding?.[0]?.display ?? o.code?.text ?? o.code?.coding?.[0]?.code ?? 'reading';
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const at = (o: Observation) => Date.parse(o.effectiveDateTime ?? o.effectivePeriod?.start ?? '') || 0;
  const mean = (xs: Observation[]) => {
    const v = xs.map((o) => o.valueQuantity?.value).filter((x): x is number => typeof x === 'number');
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
  };
  return [...groups].map(([kind, list]) => {
    const sorted = list.sort((a, b) => at(b) - at(a));
    const m30 = mean(sorted.filter((o) => at(o) >= now - dayMs(30)));
    const m90 = mean(sorted.filter((o) => at(o) >= now - dayMs(90)));
    const trend = m30 === undefined || m90 === undefined ? 'unknown' : m30 > m90 * 1.05 ? 'rising' : m30 < m90 * 0.95 ? 'falling' : 'stable';
    const q = sorted[0].valueQuantity;
    return { kind, latest: sorted[0], latestValue: q ? `${q.value} ${q.unit ?? q.code ?? ''}`.trim() : 'n/a', mean30: m30?.toFixed(1), mean90: m90?.toFixed(1), trend };
  });
}

/** Per calendar year: encounters by class, expenditure by fund, contributions paid and missing. */
function yearly(encounters: Encounter[], settlements: ExplanationOfBenefit[], contributions: Resource[]) {
  const years = new Map<number, { year: number; encounters: number; byClass: Record<string, number>; pooled: number; personal: number; self: number; contributions: number; missing: number }>();
  const y = (date: string | undefined) => {
    const year = Number((date ?? '').slice(0, 4));
    if (!year) return undefined;
    if (!years.has(year)) years.set(year, { year, encounters: 0, byClass: {}, pooled: 0, personal: 0, self: 0, contributions: 0, missing: 0 });
    return years.get(year);
  };
  for (const e of encounters) {
    const row = y(e.period?.start);
    if (!row) continue;
    row.encounters++;
    const cls = e.class?.code ?? 'unknown';
    row.byClass[cls] = (row.byClass[cls] ?? 0) + 1;
  }
  for (const s of settlements) {
    const row = y(s.created);
    for (const t of row ? (s.total ?? []) : []) {
      const fund = t.category?.coding?.find((c) => c.system === 'http://insured.example.org/fhir/CodeSystem/insurance-fund')?.code;
      const v = t.amount?.value ?? 0;
      if (fund === 'pooled') row!.pooled += v;
      else if (fund === 'personal-account') row!.personal += v;
      else if (fund === 'self-pay') row!.self += v;
    }
  }
  for (const c of contributions) {
    const row = y(extValue(c, 'covered-period')?.start);
    if (!row) continue;
    if (extValue(c, 'contribution-status') === 'missing') row.missing++;
    else row.contributions += extValue(c, 'amount')?.value ?? 0;
  }
  return [...years.values()].sort((a, b) => b.year - a.year);
}

/** Peer figures are population aggregates, slow to change and costly to count: each is counted at most once in this time. */
export const PEER_FIGURES_TTL_MS = 10 * 60 * 1000;

type PeerFigures = { band: string; size: number; encountersPerPerson: number } | undefined;
const peerCache = new WeakMap<object, Map<string, { until: number; figures: Promise<PeerFigures> }>>();

/**
 * Encounters per person this year among insured people of the same sex and 10-year age band, counted
 * by the store. Only aggregates leave this function, and only for groups of at least MIN_PEER_GROUP.
 * Kept per store, sex, band and year for PEER_FIGURES_TTL_MS (concurrent profiles share one count).
 */
async function peerFigures(ctx: RequestContext, patient: Patient, now: number): Promise<PeerFigures> {
  if (!patient.birthDate || !patient.gender) return undefined;
  const age = new Date(now).getUTCFullYear() - Number(patient.birthDate.slice(0, 4));
  const low = Math.floor(age / 10) * 10;
  const yearNow = new Date(now).getUTCFullYear();
  const key = `${patient.gender}|${low}|${yearNow}`;
  let cache = peerCache.get(ctx.store.identity);
  if (!cache) peerCache.set(ctx.store.identity, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.figures;
  const figures = countPeers(ctx, patient.gender, low, yearNow);
  cache.set(key, { until: Date.now() + PEER_FIGURES_TTL_MS, figures });
  figures.catch(() => cache.delete(key));
  return figures;
}

async function countPeers(ctx: RequestContext, gender: string, low: number, yearNow: number): Promise<PeerFigures> {
  const born = `birthdate=gt${yearNow - low - 10}-12-31&birthdate=le${yearNow - low}-12-31`;
  // aggregates over all insured people: counted under a named system context, released only above the threshold
  const system = { ...ctx, store: ctx.store.asSystem('insured-profile-peer-statistics') };
  const size = await count(system, 'Patient', `gender=${gender}&${born}`);
  if (size < MIN_PEER_GROUP) return undefined;
  const encounters = await count(system, 'Encounter', `date=ge${yearNow}-01-01&patient.gender=${gender}&${born.replaceAll('birthdate', 'patient.birthdate')}`);
  return { band: `${low}-${low + 9} years`, size, encountersPerPerson: encounters / size };
}

function money(m: { value?: number; currency?: string } | undefined): string {
  return m?.value === undefined ? 'unknown' : `${m.value.toFixed(2)} ${m.currency ?? ''}`.trim();
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

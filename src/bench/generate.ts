import type { Resource } from '../fhir/types';

/** A small seeded PRNG (mulberry32): the same seed gives the same population, byte for byte. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IG = 'http://insured.example.org/fhir/StructureDefinition/';
const FAMILY = ['Zhang', 'Wang', 'Li', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou'];
const GIVEN = ['Wei', 'Fang', 'Min', 'Jing', 'Lei', 'Yan', 'Jun', 'Hui', 'Ping', 'Tao'];

const HOUR = 3600 * 1000;
interface Reading {
  code: string;
  display: string;
  unit: string;
  category: string;
}
const HEART_RATE: Reading = { code: '8867-4', display: 'Heart rate', unit: '/min', category: 'vital-signs' };
const STEPS: Reading = { code: '55423-8', display: 'Number of steps in unspecified time Pedometer', unit: '{steps}', category: 'activity' };
const SYSTOLIC: Reading = { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', category: 'vital-signs' };
const GLUCOSE: Reading = { code: '15074-8', display: 'Glucose [Moles/volume] in Blood', unit: 'mmol/L', category: 'laboratory' };

export interface GenerateOptions {
  seed: number;
  /** Days of readings: hourly wearable summaries (wearers) and daily home-device readings (chronic conditions); the main size knob. */
  monitoringDays: number;
  /** The date the population is generated "as of" (fixed, so output is reproducible). */
  asOf: string;
}

/**
 * One insured family (two adults, often a child) with everything the platform aggregates: coverages
 * and personal accounts, monthly contributions and account transactions, encounters with conditions,
 * claims and settlements split by fund, medicines, family links, wearable and home-device readings,
 * and now and then a credit record. Ids are deterministic, so loading twice does not duplicate.
 */
export function generateFamily(familyIndex: number, o: GenerateOptions): Resource[] {
  const rnd = prng(o.seed * 1_000_003 + familyIndex);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const asOf = Date.parse(o.asOf);
  const day = 24 * 3600 * 1000;
  const iso = (t: number) => new Date(t).toISOString();
  const date = (t: number) => iso(t).slice(0, 10);
  const out: Resource[] = [];
  const family = pick(FAMILY);
  const f = `f${familyIndex}`;
  const org = { resourceType: 'Organization', id: `org-${familyIndex % 50}`, name: `Designated Hospital ${familyIndex % 50}` } as Resource;
  const doc = { resourceType: 'Practitioner', id: `doc-${familyIndex % 200}`, name: [{ family: pick(FAMILY), prefix: ['Dr'] }] } as Resource;
  out.push(org, doc);
  const members: { id: string; chronic: boolean }[] = [];
  const people = rnd() < 0.6 ? 3 : 2;
  for (let m = 0; m < people; m++) {
    const id = `${f}-p${m}`;
    const child = m === 2;
    const birth = asOf - Math.floor((child ? 2 + rnd() * 15 : 25 + rnd() * 50) * 365.25) * day;
    const chronic = !child && rnd() < 0.3;
    members.push({ id, chronic });
    const ref = { reference: `Patient/${id}` };
    out.push({
      resourceType: 'Patient',
      id,
      meta: { profile: [`${IG}insured-patient`] },
      identifier: [{ system: 'http://insured.example.org/fhir/sid/medical-insurance-number', value: `MI-${familyIndex}-${m}` }],
      name: [{ family, given: [pick(GIVEN)] }],
      gender: m === 0 ? 'male' : m === 1 ? 'female' : pick(['male', 'female']),
      birthDate: date(birth),
      generalPractitioner: [{ reference: `Practitioner/${doc.id}` }],
    } as Resource);
    out.push({ resourceType: 'Coverage', id: `${id}-cov`, meta: { profile: [`${IG}insured-coverage`] }, status: 'active', type: { text: child ? 'Resident scheme' : 'Employee scheme' }, beneficiary: ref, payor: [{ reference: `Organization/${org.id}` }], period: { start: `${iso(asOf).slice(0, 4)}-01-01` } } as Resource);
    out.push({ resourceType: 'Account', id: `${id}-acct`, meta: { profile: [`${IG}personal-account`] }, status: 'active', subject: [ref] } as Resource);
    let balance = 1000 + Math.floor(rnd() * 4000);
    for (let month = 0; month < 12; month++) {
      const start = new Date(Date.UTC(new Date(asOf).getUTCFullYear() - 1, new Date(asOf).getUTCMonth() + month, 1));
      const status = rnd() < 0.03 ? 'missing' : rnd() < 0.05 ? 'late' : 'paid';
      const amount = 200 + Math.floor(rnd() * 400);
      out.push(basic(`${id}-c${month}`, 'contribution', id, date(start.getTime() + 5 * day), [
        { url: `${IG}contribution-payer`, valueCode: child ? 'government' : 'employer' },
        { url: `${IG}insurance-fund`, valueCode: 'pooled' },
        { url: `${IG}contribution-status`, valueCode: status },
        { url: `${IG}covered-period`, valuePeriod: { start: date(start.getTime()), end: date(start.getTime() + 27 * day) } },
        { url: `${IG}amount`, valueMoney: { value: amount, currency: 'CNY' } },
      ]));
      if (status !== 'missing') {
        balance += Math.round(amount * 0.3);
        out.push(transaction(`${id}-t${month}`, id, 'contribution-credit', Math.round(amount * 0.3), balance, start.getTime() + 6 * day));
      }
    }
    const visits = Math.floor(rnd() * (chronic ? 8 : 4));
    for (let v = 0; v < visits; v++) {
      const t0 = asOf - Math.floor(rnd() * 365) * day;
      const enc = `${id}-e${v}`;
      const inpatient = rnd() < 0.15;
      out.push({ resourceType: 'Encounter', id: enc, meta: { profile: [`${IG}insured-encounter`] }, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: inpatient ? 'IMP' : 'AMB' }, type: [{ text: rnd() < 0.2 ? 'annual health check' : 'outpatient visit' }], subject: ref, serviceProvider: { reference: `Organization/${org.id}` }, participant: [{ individual: { reference: `Practitioner/${doc.id}` } }], period: { start: iso(t0), end: iso(t0 + (inpatient ? 4 : 0.1) * day) } } as Resource);
      out.push({ resourceType: 'Condition', id: `${enc}-dx`, subject: ref, encounter: { reference: `Encounter/${enc}` }, code: chronic ? { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11', display: 'Type 2 diabetes mellitus' }] } : { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J06.9', display: 'Acute upper respiratory infection' }] }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: chronic ? 'active' : 'resolved' }] }, recordedDate: date(t0) } as Resource);
      const total = 200 + Math.floor(rnd() * (inpatient ? 20000 : 800));
      const pooled = Math.round(total * (inpatient ? 0.7 : 0.5));
      const personal = Math.round((total - pooled) * 0.6);
      out.push({ resourceType: 'Claim', id: `${enc}-claim`, meta: { profile: [`${IG}insured-claim`] }, status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: inpatient ? 'institutional' : 'professional' }] }, use: 'claim', patient: ref, created: date(t0), provider: { reference: `Organization/${org.id}` }, priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] }, insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${id}-cov` } }], total: { value: total, currency: 'CNY' } } as Resource);
      out.push({ resourceType: 'ExplanationOfBenefit', id: `${enc}-eob`, meta: { profile: [`${IG}settlement`] }, status: 'active', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: inpatient ? 'institutional' : 'professional' }] }, use: 'claim', patient: ref, created: date(t0), insurer: { reference: `Organization/${org.id}` }, provider: { reference: `Organization/${org.id}` }, claim: { reference: `Claim/${enc}-claim` }, outcome: 'complete', insurance: [{ focal: true, coverage: { reference: `Coverage/${id}-cov` } }],
        total: [['pooled', pooled], ['personal-account', personal], ['self-pay', total - pooled - personal]].map(([code, value]) => ({ category: { coding: [{ system: 'http://insured.example.org/fhir/CodeSystem/insurance-fund', code }] }, amount: { value, currency: 'CNY' } })) } as Resource);
      balance -= personal;
      out.push(transaction(`${enc}-debit`, id, 'settlement-debit', personal, balance, t0 + day / 2));
      if (chronic || rnd() < 0.5) out.push({ resourceType: 'MedicationDispense', id: `${enc}-med`, meta: { profile: [`${IG}insured-medication-dispense`] }, status: 'completed', medicationCodeableConcept: { text: chronic ? 'Metformin 500 mg' : 'Amoxicillin 250 mg' }, subject: ref, quantity: { value: 30 }, whenHandedOver: iso(t0 + day / 4) } as Resource);
    }
    // wearables: minute-level heart rate and steps, summarised per hour; more often in chronic-disease management
    if (rnd() < (members[m].chronic ? 0.3 : 0.05)) {
      const watch = `${id}-watch`;
      out.push({ resourceType: 'Device', id: watch, deviceName: [{ name: 'Wearable', type: 'user-friendly-name' }], patient: ref } as Resource);
      for (let d = 0; d < o.monitoringDays; d++) {
        for (let h = 0; h < 24; h++) {
          const t = asOf - (d + 1) * day + h * HOUR;
          const awake = h >= 7 && h < 23;
          out.push(reading(`${watch}-hr-${d}-${h}`, id, watch, hourOf(t), HEART_RATE, (awake ? 65 : 52) + Math.floor(rnd() * 30)));
          out.push(reading(`${watch}-steps-${d}-${h}`, id, watch, hourOf(t), STEPS, awake ? Math.floor(rnd() * 1500) : Math.floor(rnd() * 40)));
        }
      }
    }
    // home monitoring for chronic conditions: blood pressure and glucose once a day
    if (members[m].chronic) {
      const home = `${id}-home`;
      out.push({ resourceType: 'Device', id: home, deviceName: [{ name: 'Home monitor', type: 'user-friendly-name' }], patient: ref } as Resource);
      for (let d = 0; d < o.monitoringDays; d++) {
        const t = asOf - (d + 1) * day + 7 * HOUR;
        out.push(reading(`${home}-bp-${d}`, id, home, { effectiveDateTime: iso(t) }, SYSTOLIC, 120 + Math.floor(rnd() * 45)));
        out.push(reading(`${home}-glu-${d}`, id, home, { effectiveDateTime: iso(t + 600_000) }, GLUCOSE, Math.round((5 + rnd() * 5) * 10) / 10));
      }
    }
    if (rnd() < 0.05) out.push(basic(`${id}-credit`, 'credit-record', id, date(asOf - 30 * day), [
      { url: `${IG}credit-record-type`, valueCode: 'overdue-contribution' },
      { url: `${IG}credit-rating`, valueCode: 'B' },
      { url: `${IG}record-source`, valueString: 'Medical insurance bureau' },
      { url: `${IG}record-date`, valueDateTime: iso(asOf - 31 * day) },
    ]));
  }
  // family links, both ways where FHIR allows: each adult is a RelatedPerson of the other and of the child
  const rel = (id: string, of: string, code: string) => ({ resourceType: 'RelatedPerson', id, meta: { profile: [`${IG}family-relationship`] }, patient: { reference: `Patient/${of}` }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code }] }], name: [{ family }] }) as Resource;
  out.push(rel(`${f}-r01`, members[0].id, 'SPS'), rel(`${f}-r10`, members[1].id, 'SPS'));
  if (members[2]) out.push(rel(`${f}-r02`, members[2].id, 'FTH'), rel(`${f}-r12`, members[2].id, 'MTH'), rel(`${f}-r20`, members[0].id, 'CHILD'));
  return out;

  function basic(id: string, kind: string, patient: string, created: string, extension: unknown[]): Resource {
    return { resourceType: 'Basic', id, meta: { profile: [`${IG}${kind}`] }, code: { coding: [{ system: 'http://insured.example.org/fhir/CodeSystem/insured-record-type', code: kind }] }, subject: { reference: `Patient/${patient}` }, created, extension } as Resource;
  }
  function transaction(id: string, patient: string, type: string, amount: number, after: number, t: number): Resource {
    return basic(id, 'account-transaction', patient, date(t), [
      { url: `${IG}transaction-type`, valueCode: type },
      { url: `${IG}amount`, valueMoney: { value: amount, currency: 'CNY' } },
      { url: `${IG}balance-after`, valueMoney: { value: after, currency: 'CNY' } },
      { url: `${IG}transaction-account`, valueReference: { reference: `Account/${patient}-acct` } },
      { url: `${IG}record-date`, valueDateTime: iso(t) },
    ]);
  }
  function hourOf(t: number): { effectivePeriod: { start: string; end: string } } {
    return { effectivePeriod: { start: iso(t), end: iso(t + HOUR) } };
  }
  function reading(id: string, patient: string, device: string, effective: object, kind: Reading, value: number): Resource {
    return { resourceType: 'Observation', id, meta: { profile: [`${IG}device-observation`] }, status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: kind.category }] }], code: { coding: [{ system: 'http://loinc.org', code: kind.code, display: kind.display }] }, subject: { reference: `Patient/${patient}` }, device: { reference: `Device/${device}` }, ...effective, valueQuantity: { value, unit: kind.unit, system: 'http://unitsofmeasure.org', code: kind.unit } } as Resource;
  }

}

/** A family as a transaction Bundle of PUTs (ids kept: loading twice changes nothing). */
export function familyBundle(resources: Resource[]): Resource {
  return { resourceType: 'Bundle', type: 'transaction', entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })) } as Resource;
}

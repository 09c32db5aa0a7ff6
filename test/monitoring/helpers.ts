import type { TestServer } from '../helpers/server';

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export { TOPIC_HEALTH_ALERT } from '../subscriptions/helpers';
export const DAY = 86_400_000;

/** An ISO instant `daysAgo` days before now. */
export const ago = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();

/** A reading; `device: true` makes it a home or wearable reading (Observation.device). */
export function reading(patient: string, code: string, value: number, unit: string, opts: { id?: string; at?: string; device?: boolean } = {}) {
  return {
    resourceType: 'Observation',
    ...(opts.id ? { id: opts.id } : {}),
    ...(opts.device ? { device: { reference: 'Device/home-monitor' } } : {}),
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: opts.at ?? ago(0),
    valueQuantity: { value, unit, system: UCUM, code: unit },
  };
}

export function bloodPressure(patient: string, systolic: number, diastolic: number, opts: { id?: string; at?: string; device?: boolean } = {}) {
  const q = (value: number) => ({ value, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' });
  return {
    resourceType: 'Observation',
    ...(opts.id ? { id: opts.id } : {}),
    ...(opts.device ? { device: { reference: 'Device/home-monitor' } } : {}),
    status: 'final',
    code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: opts.at ?? ago(0),
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: q(systolic) },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: q(diastolic) },
    ],
  };
}

/** The resources of a type about a patient, once every committed version has been judged. */
export async function alertsOf(t: TestServer, type: 'DetectedIssue' | 'Flag' | 'Task', patient: string, auth?: string): Promise<any[]> {
  await t.server.monitoring.idle();
  const req = t.http.get(`/fhir/${type}?patient=Patient/${patient}&_count=100`);
  const res = auth ? await req.set('Authorization', `Bearer ${auth}`) : await req;
  if (res.status !== 200) throw new Error(`${type} search: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.entry ?? []).map((e: any) => e.resource);
}

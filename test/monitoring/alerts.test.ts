import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';
import { ago, alertsOf, bloodPressure, LOINC, reading } from './helpers';

/**
 * Readings written through the API are judged after commit against the guide's rules: an alert is a
 * DetectedIssue with the readings as evidence, a Flag on the person and a Task for their care team;
 * the same reading never raises two; batches and transactions are judged like single writes.
 */
let t: TestServer;
let n = 0;
const newPatient = async (extra: Record<string, unknown> = {}) => {
  const id = `mon-${++n}`;
  expect((await t.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id, ...extra })).status).toBe(201);
  return id;
};
const post = async (body: object) => {
  const res = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(body);
  expect(res.status).toBe(201);
  return res.body;
};

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('one reading beyond a threshold', () => {
  it('raises a DetectedIssue with the evidence, a Flag and a Task, all under the monitoring context', async () => {
    const p = await newPatient({ generalPractitioner: [{ reference: 'Practitioner/gp-1' }] });
    const obs = await post(bloodPressure(p, 185, 95));
    const [issue] = await alertsOf(t, 'DetectedIssue', p);
    expect(issue).toMatchObject({
      status: 'final',
      severity: 'high',
      patient: { reference: `Patient/${p}` },
      code: { coding: [{ system: LOINC, code: '8480-6' }] },
      evidence: [{ detail: [{ reference: `Observation/${obs.id}` }] }],
      extension: [{ url: 'http://insured.example.org/fhir/StructureDefinition/monitoring-rule', valueReference: { reference: 'ObservationDefinition/monitoring-systolic-critical' } }],
    });
    expect(issue.detail).toContain('185');
    expect(issue.detail).toContain('≥ 180');
    const [flag] = await alertsOf(t, 'Flag', p);
    expect(flag).toMatchObject({ status: 'active', subject: { reference: `Patient/${p}` } });
    expect(flag.extension).toContainEqual({ url: 'http://hl7.org/fhir/StructureDefinition/flag-detail', valueReference: { reference: `DetectedIssue/${issue.id}` } });
    const [task] = await alertsOf(t, 'Task', p);
    expect(task).toMatchObject({ status: 'requested', intent: 'order', for: { reference: `Patient/${p}` }, focus: { reference: `DetectedIssue/${issue.id}` }, owner: { reference: 'Practitioner/gp-1' } });
    // searchable by the rule that raised it
    const byRule = await t.http.get(`/fhir/DetectedIssue?monitoring-rule=ObservationDefinition/monitoring-systolic-critical&patient=Patient/${p}`);
    expect(byRule.body.entry.map((e: any) => e.resource.id)).toEqual([issue.id]);
  });

  it.each([
    ['systolic 180 mmHg (standalone)', true, reading('?', '8480-6', 180, 'mm[Hg]')],
    ['systolic 179 mmHg', false, reading('?', '8480-6', 179, 'mm[Hg]')],
    ['diastolic 120 mmHg', true, reading('?', '8462-4', 120, 'mm[Hg]')],
    ['diastolic 119 mmHg in the panel', false, bloodPressure('?', 130, 119)],
    ['glucose 3.8 mmol/L', true, reading('?', '15074-8', 3.8, 'mmol/L')],
    ['glucose 3.9 mmol/L', false, reading('?', '15074-8', 3.9, 'mmol/L')],
    ['glucose 68 mg/dL', true, reading('?', '2339-0', 68, 'mg/dL')],
    ['SpO2 89 %', true, reading('?', '59408-5', 89, '%')],
    ['SpO2 90 %', false, reading('?', '2708-6', 90, '%')],
    ['heart rate 121/min', true, reading('?', '8867-4', 121, '/min')],
    ['heart rate 120/min', false, reading('?', '40443-4', 120, '/min')],
  ])('%s: alert %s', async (_name, alerts, body) => {
    const p = await newPatient();
    await post({ ...body, subject: { reference: `Patient/${p}` } });
    const issues = await alertsOf(t, 'DetectedIssue', p);
    expect(issues.length).toBe(alerts ? 1 : 0);
    expect((await alertsOf(t, 'Task', p)).length).toBe(alerts ? 1 : 0);
  });

  it('a reading taken long ago (an import of old records) raises none', async () => {
    const p = await newPatient();
    await post(reading(p, '8480-6', 200, 'mm[Hg]', { at: ago(60) }));
    expect(await alertsOf(t, 'DetectedIssue', p)).toEqual([]);
  });

  it('the same reading written again, or changed and still beyond, never raises a second alert', async () => {
    const p = await newPatient();
    const obs = await post(reading(p, '59408-5', 85, '%'));
    expect((await alertsOf(t, 'DetectedIssue', p)).length).toBe(1);
    for (const value of [85, 84, 80]) {
      const res = await t.http.put(`/fhir/Observation/${obs.id}`).set('Content-Type', FHIR_JSON).send({ ...obs, valueQuantity: { ...obs.valueQuantity, value } });
      expect(res.status).toBe(200);
    }
    expect((await alertsOf(t, 'DetectedIssue', p)).length).toBe(1);
    expect((await alertsOf(t, 'Flag', p)).length).toBe(1);
    expect((await alertsOf(t, 'Task', p)).length).toBe(1);
  });

  it('the Task goes to the person’s CareTeam when there is no general practitioner', async () => {
    const p = await newPatient();
    const team = await t.http.post('/fhir/CareTeam').set('Content-Type', FHIR_JSON).send({ resourceType: 'CareTeam', status: 'active', subject: { reference: `Patient/${p}` } });
    await post(reading(p, '8867-4', 140, '/min'));
    const [task] = await alertsOf(t, 'Task', p);
    expect(task.owner).toEqual({ reference: `CareTeam/${team.body.id}` });
  });
});

describe('the sustained rule: home systolic ≥ 140 mmHg three times within 7 days', () => {
  const sustained = async (p: string) => (await alertsOf(t, 'DetectedIssue', p)).filter((i) => i.extension[0].valueReference.reference.endsWith('/monitoring-systolic-sustained'));

  it('two readings raise nothing; the third within 7 days raises one alert with the three as evidence', async () => {
    const p = await newPatient();
    const a = await post(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(6) }));
    const b = await post(bloodPressure(p, 145, 85, { device: true, at: ago(3) }));
    expect(await sustained(p)).toEqual([]);
    const c = await post(reading(p, '8480-6', 140, 'mm[Hg]', { device: true, at: ago(0) }));
    const issues = await sustained(p);
    expect(issues.length).toBe(1);
    expect(issues[0].evidence[0].detail.map((d: any) => d.reference)).toEqual([a, b, c].map((o) => `Observation/${o.id}`));
    // a fourth reading finds the three already used: no second alert
    await post(reading(p, '8480-6', 142, 'mm[Hg]', { device: true, at: ago(0) }));
    expect((await sustained(p)).length).toBe(1);
  });

  it('three readings spread over more than 7 days, or one below the threshold, raise nothing', async () => {
    const p = await newPatient();
    await post(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(8) }));
    await post(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(3) }));
    await post(reading(p, '8480-6', 139, 'mm[Hg]', { device: true, at: ago(1) }));
    await post(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(0) }));
    expect(await sustained(p)).toEqual([]);
  });

  it('readings taken without a device (office readings) do not count', async () => {
    const p = await newPatient();
    await post(reading(p, '8480-6', 150, 'mm[Hg]', { at: ago(2) }));
    await post(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(1) }));
    await post(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(0) }));
    expect(await sustained(p)).toEqual([]);
  });
});

describe('batches and transactions', () => {
  it('judges every reading of a batch and of a transaction', async () => {
    const p = await newPatient();
    const q = await newPatient();
    const entry = (resource: object) => ({ resource, request: { method: 'POST', url: 'Observation' } });
    const batch = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [entry(reading(p, '8480-6', 150, 'mm[Hg]', { device: true, at: ago(2) })), entry(reading(p, '8480-6', 152, 'mm[Hg]', { device: true, at: ago(1) })), entry(reading(p, '8480-6', 155, 'mm[Hg]', { device: true })), entry(reading(p, '8867-4', 72, '/min'))],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created', '201 Created']);
    const tx = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({ resourceType: 'Bundle', type: 'transaction', entry: [entry(reading(q, '59408-5', 88, '%')), entry(reading(q, '15074-8', 3.1, 'mmol/L'))] });
    expect(tx.status).toBe(200);
    expect(tx.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const rules = (issues: any[]) => issues.map((i) => i.extension[0].valueReference.reference).sort();
    expect(rules(await alertsOf(t, 'DetectedIssue', p))).toEqual(['ObservationDefinition/monitoring-systolic-sustained']);
    expect(rules(await alertsOf(t, 'DetectedIssue', q))).toEqual(['ObservationDefinition/monitoring-glucose-low', 'ObservationDefinition/monitoring-spo2-low']);
  });
});

describe('rules stored through the API', () => {
  it('an ObservationDefinition posted by an operator takes effect once committed', async () => {
    const p = await newPatient();
    await post(reading(p, '8310-5', 39.5, 'Cel'));
    const def = await t.http.post('/fhir/ObservationDefinition').set('Content-Type', FHIR_JSON).send({
      resourceType: 'ObservationDefinition',
      code: { coding: [{ system: LOINC, code: '9279-1', display: 'Respiratory rate' }] },
      quantitativeDetails: { unit: { coding: [{ system: 'http://unitsofmeasure.org', code: '/min' }] } },
      qualifiedInterval: [{ category: 'critical', range: { low: { value: 30, system: 'http://unitsofmeasure.org', code: '/min' } }, condition: 'Respiratory rate at or above 30/min' }],
    });
    expect(def.status).toBe(201);
    await post(reading(p, '9279-1', 32, '/min'));
    const [issue] = await alertsOf(t, 'DetectedIssue', p);
    expect(issue).toMatchObject({ code: { text: 'Respiratory rate at or above 30/min' }, extension: [{ valueReference: { reference: `ObservationDefinition/${def.body.id}` } }] });
  });
});

describe('the audit trail', () => {
  it('records each alert raised by the monitoring context, with the person and the reading', async () => {
    const p = await newPatient();
    const obs = await post(reading(p, '8867-4', 150, '/min'));
    const [issue] = await alertsOf(t, 'DetectedIssue', p);
    await t.server.flushAudit();
    const res = await t.http.get('/fhir/AuditEvent?_count=1000');
    const events = (res.body.entry ?? []).map((e: any) => e.resource).filter((e: any) => e.subtype?.[0]?.code === 'monitoring-alert');
    const mine = events.find((e: any) => e.entity.some((x: any) => x.what?.reference === `DetectedIssue/${issue.id}`));
    expect(mine).toBeDefined();
    expect(mine.agent[0].who.display).toBe('insured-fhir-server system context: monitoring');
    expect(mine.entity.map((x: any) => x.what.reference)).toEqual(expect.arrayContaining([`Patient/${p}`, `Observation/${obs.id}/_history/1`, `Flag/${issue.id}`, `Task/${issue.id}`]));
  });
});

describe('a rule that fails', () => {
  it('never fails the write: the failure is recorded, the other rules still judge, later readings too', async () => {
    const system = (t.server.monitoring as any).evaluate.store;
    const search = system.search;
    let failures = 0;
    // the sustained rule searches the person's home readings: make that fail
    system.search = async () => {
      failures++;
      throw new Error('store unavailable (test)');
    };
    try {
      // (with a general practitioner, the Task's owner needs no search either)
      const p = await newPatient({ generalPractitioner: [{ reference: 'Practitioner/gp-1' }] });
      const res = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(reading(p, '8480-6', 190, 'mm[Hg]', { device: true }));
      expect(res.status).toBe(201);
      const issues = await alertsOf(t, 'DetectedIssue', p);
      expect(failures).toBeGreaterThan(0);
      // the critical rule needs no search: its alert is raised all the same
      expect(issues.map((i) => i.extension[0].valueReference.reference)).toEqual(['ObservationDefinition/monitoring-systolic-critical']);
      await t.server.flushAudit();
      const events = (await t.http.get('/fhir/AuditEvent?_count=1000')).body.entry.map((e: any) => e.resource);
      const failed = events.find((e: any) => e.subtype?.[0]?.code === 'monitoring-failed' && e.entity.some((x: any) => x.what?.reference === `Observation/${res.body.id}/_history/1`));
      expect(failed).toMatchObject({ outcome: '8' });
      expect(failed.outcomeDesc).toContain('monitoring-systolic-sustained: store unavailable (test)');
    } finally {
      system.search = search;
    }
    const q = await newPatient();
    await post(reading(q, '59408-5', 80, '%'));
    expect((await alertsOf(t, 'DetectedIssue', q)).length).toBe(1);
  });
});

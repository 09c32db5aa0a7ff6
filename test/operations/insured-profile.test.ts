import { PEER_FIGURES_TTL_MS } from '../../src/operations/insured-profile';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/** $insured-profile: the document, its sections, and each rule triggered by one person and not by another. */
let t: TestServer;
const DAY = 24 * 3600 * 1000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const EXT = 'http://insured.example.org/fhir/StructureDefinition/';

function person(id: string, risky: boolean) {
  const ref = { reference: `Patient/${id}` };
  const entries: any[] = [
    { resourceType: 'Patient', id, gender: 'female', birthDate: '1980-05-01', name: [{ family: id }] },
    { resourceType: 'Device', id: `${id}-cuff`, deviceName: [{ name: 'BP cuff', type: 'user-friendly-name' }] },
    { resourceType: 'Condition', id: `${id}-dm`, subject: ref, code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11', display: 'Type 2 diabetes' }] }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] } },
    { resourceType: 'Encounter', id: `${id}-enc`, status: 'finished', class: { code: 'AMB' }, subject: ref, type: [{ text: risky ? 'outpatient visit' : 'annual health check' }], period: { start: ago(risky ? 300 : 20) } },
    { resourceType: 'ExplanationOfBenefit', id: `${id}-eob`, status: 'active', type: { text: 'institutional' }, use: 'claim', patient: ref, created: ago(20).slice(0, 10), insurer: { display: 'fund' }, provider: { display: 'hospital' }, outcome: 'complete', insurance: [{ focal: true, coverage: { display: 'cov' } }],
      total: [['pooled', 800], ['personal-account', 150], ['self-pay', 50]].map(([code, value]) => ({ category: { coding: [{ system: 'http://insured.example.org/fhir/CodeSystem/insurance-fund', code }] }, amount: { value, currency: 'CNY' } })) },
    { resourceType: 'Basic', id: `${id}-contrib`, code: { coding: [{ system: 'http://insured.example.org/fhir/CodeSystem/insured-record-type', code: 'contribution' }] }, subject: ref, created: ago(10).slice(0, 10),
      extension: [
        { url: `${EXT}contribution-payer`, valueCode: 'individual' },
        { url: `${EXT}insurance-fund`, valueCode: 'pooled' },
        { url: `${EXT}contribution-status`, valueCode: risky ? 'missing' : 'paid' },
        { url: `${EXT}covered-period`, valuePeriod: { start: ago(30).slice(0, 10), end: ago(1).slice(0, 10) } },
        { url: `${EXT}amount`, valueMoney: { value: 300, currency: 'CNY' } },
      ] },
  ];
  for (let i = 0; i < 4; i++) {
    entries.push({ resourceType: 'Observation', id: `${id}-bp${i}`, status: 'final', subject: ref, device: { reference: `Device/${id}-cuff` }, effectiveDateTime: ago(2 + i * 5), code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: risky ? 150 + i * 3 : 118 + i, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } });
  }
  return entries;
}

async function profile(id: string): Promise<any> {
  const res = await t.http.get(`/fhir/Patient/${id}/$insured-profile`);
  expect(res.status).toBe(200);
  return res.body;
}
const rules = (doc: any) => doc.entry.filter((e: any) => e.resource.resourceType === 'RiskAssessment').map((e: any) => e.resource.code.coding[0].code).sort();

beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
  const resources = [...person('risky', true), ...person('steady', false)];
  for (let i = 0; i < 10; i++) resources.push({ resourceType: 'Patient', id: `peer${i}`, gender: 'female', birthDate: `198${i % 5}-01-01` });
  resources.push({ resourceType: 'Patient', id: 'lonely', gender: 'male', birthDate: '1931-01-01' });
  const res = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({ resourceType: 'Bundle', type: 'transaction', entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })) });
  expect(res.status).toBe(200);
});
afterAll(() => t.close());

describe('Patient/$insured-profile', () => {
  it('is a document Bundle: a Composition with five sections, then the sources it refers to', async () => {
    const doc = await profile('risky');
    expect(doc).toMatchObject({ resourceType: 'Bundle', type: 'document', identifier: { system: 'urn:ietf:rfc:3986' } });
    const composition = doc.entry[0].resource;
    expect(composition).toMatchObject({ resourceType: 'Composition', status: 'final', subject: { reference: 'Patient/risky' } });
    expect(composition.section.map((s: any) => s.title)).toEqual(['Medical history', 'Monitoring', 'Insurance and finance', 'Utilisation', 'Recommendations']);
    const inBundle = new Set(doc.entry.map((e: any) => (e.fullUrl.startsWith('urn:') ? e.fullUrl : `${e.resource.resourceType}/${e.resource.id}`)));
    for (const s of composition.section) for (const r of s.entry ?? []) expect(inBundle.has(r.reference)).toBe(true);
    const finance = composition.section[2].text.div;
    expect(finance).toContain(`${new Date().getUTCFullYear()}`);
    expect(finance).toMatch(/pooled 800\.00, personal account 150\.00, self-paid 50\.00/);
    expect(composition.section[1].text.div).toMatch(/Systolic blood pressure: latest \d+ mmHg; 30-day mean \d+/);
  });

  it('raises every rule for the person who meets its conditions, each with its reason and evidence', async () => {
    const doc = await profile('risky');
    expect(rules(doc)).toEqual(['blood-pressure-trend', 'chronic-follow-up', 'contribution-gap', 'health-check-overdue']);
    const bp = doc.entry.find((e: any) => e.resource.code?.coding?.[0].code === 'blood-pressure-trend').resource;
    expect(bp.basis).toHaveLength(4);
    expect(bp.prediction[0].outcome.text).toMatch(/over 140/);
    expect(bp.mitigation).toMatch(/blood pressure/);
    const gap = doc.entry.find((e: any) => e.resource.code?.coding?.[0].code === 'contribution-gap').resource;
    expect(gap.basis).toEqual([{ reference: 'Basic/risky-contrib' }]);
  });

  it('raises none of them for the person who meets none', async () => {
    const doc = await profile('steady');
    expect(rules(doc)).toEqual([]);
    expect(doc.entry[0].resource.section[4].text.div).toContain('No rule raised a recommendation');
  });

  it('compares with peers of the same sex and age band, and withholds figures for small groups', async () => {
    expect((await profile('risky')).entry[0].resource.section[3].text.div).toMatch(/Peers \(40-49 years, female, 1[0-9] insured people\)/);
    expect((await profile('lonely')).entry[0].resource.section[3].text.div).toMatch(/Peer comparison withheld/);
  });

  it('counts the peer figures of a sex, age band and year once in PEER_FIGURES_TTL_MS', async () => {
    const peers = async (id: string) => /female, (\d+) insured people/.exec((await profile(id)).entry[0].resource.section[3].text.div)?.[1];
    const before = await peers('risky');
    expect(Number(before)).toBeGreaterThanOrEqual(10);
    const put = await t.http.put('/fhir/Patient/peer-new').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: 'peer-new', gender: 'female', birthDate: '1982-03-01' });
    expect(put.status).toBe(201);
    expect(await peers('steady')).toBe(before);
    const later = Date.now() + PEER_FIGURES_TTL_MS + 1000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      expect(await peers('steady')).toBe(String(Number(before) + 1));
    } finally {
      clock.mockRestore();
    }
  });

  it('an unknown patient is 404', async () => {
    expect((await t.http.get('/fhir/Patient/nobody/$insured-profile')).status).toBe(404);
  });
});

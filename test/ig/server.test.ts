import { loadImplementationGuide } from '../../src/definitions/ig';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/** The implementation guide loaded into the server: served, searchable by its own SearchParameters, enforced. */
const ig = loadImplementationGuide();
const BASE = 'http://insured.example.org/fhir/StructureDefinition';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off', FHIR_REQUIRED_PROFILES: `Coverage=${BASE}/insured-coverage` });
  const res = await t.http
    .post('/fhir')
    .set('Content-Type', FHIR_JSON)
    .send({ resourceType: 'Bundle', type: 'transaction', entry: ig.examples.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })) });
  expect(res.status).toBe(200);
});
afterAll(() => t.close());

const ids = (body: any) => (body.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id).sort();

describe('the implementation guide in the server', () => {
  it('serves its conformance resources', async () => {
    const sd = await t.http.get('/fhir/StructureDefinition').query({ url: `${BASE}/contribution` });
    expect(sd.body.total).toBe(1);
    expect((await t.http.get('/fhir/SearchParameter/contribution-status')).status).toBe(200);
    expect((await t.http.get('/fhir/ValueSet?url=http://insured.example.org/fhir/ValueSet/family-relationship')).body.total).toBe(1);
    expect((await t.http.get('/fhir/OperationDefinition/Patient-insured-profile')).status).toBe(200);
  });

  it('lists its profiles and search parameters in the CapabilityStatement', async () => {
    const resources = (await t.http.get('/fhir/metadata')).body.rest[0].resource as any[];
    expect(resources.find((r) => r.type === 'Patient').supportedProfile).toContain(`${BASE}/insured-patient`);
    expect(resources.find((r) => r.type === 'Basic').supportedProfile).toEqual(expect.arrayContaining([`${BASE}/contribution`, `${BASE}/credit-record`, `${BASE}/account-transaction`]));
    expect(resources.find((r) => r.type === 'Basic').searchParam.map((p: any) => p.name)).toEqual(expect.arrayContaining(['contribution-status', 'record-date', 'transaction-type']));
  });

  it.each([
    ['contribution-status=paid', ['example-contribution']],
    ['contribution-fund=pooled', ['example-contribution']],
    ['contribution-period=2026-01', ['example-contribution']],
    ['contribution-amount=gt1000', ['example-account-transaction']],
    ['contribution-amount=560', ['example-contribution']],
    ['credit-record-type=overdue-contribution', ['example-credit-record']],
    ['record-date=ge2026-03-01', ['example-account-transaction', 'example-credit-record']],
    ['transaction-type=settlement-debit', ['example-account-transaction']],
    ['transaction-account=Account/example-account', ['example-account-transaction']],
    ['code=http://insured.example.org/fhir/CodeSystem/insured-record-type|credit-record', ['example-credit-record']],
    ['subject=Patient/example-insured-patient&_count=10', ['example-account-transaction', 'example-contribution', 'example-credit-record']],
  ])('Basic?%s finds exactly %j', async (query, expected) => {
    const res = await t.http.get(`/fhir/Basic?${query}`);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(expected);
  });

  it('custom records are in the Patient compartment', async () => {
    const res = await t.http.get('/fhir/Patient/example-insured-patient/Basic');
    expect(ids(res.body)).toEqual(['example-account-transaction', 'example-contribution', 'example-credit-record']);
  });

  it('validates writes against the profiles they claim', async () => {
    const bad: any = structuredClone(ig.examples.find((e) => e.id === 'example-contribution'));
    delete bad.id;
    bad.extension = bad.extension.filter((e: any) => !e.url.endsWith('/amount'));
    const res = await t.http.post('/fhir/Basic').set('Content-Type', FHIR_JSON).send(bad);
    expect([400, 422]).toContain(res.status);
    expect(res.body.issue.some((i: any) => /amount/.test(i.diagnostics))).toBe(true);
  });

  it('makes configured profiles mandatory (FHIR_REQUIRED_PROFILES)', async () => {
    const coverage: any = structuredClone(ig.examples.find((e) => e.id === 'example-coverage'));
    delete coverage.id;
    delete coverage.meta;
    const res = await t.http.post('/fhir/Coverage').set('Content-Type', FHIR_JSON).send(coverage);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['Coverage.meta.profile']);
  });

  it('$validate checks a resource against a profile given as a parameter', async () => {
    const res = await t.http.post(`/fhir/Patient/$validate?profile=${BASE}/insured-patient`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', gender: 'female' });
    expect(res.status).toBe(200);
    const paths = res.body.issue.filter((i: any) => i.severity === 'error').map((i: any) => i.expression?.[0]);
    expect(paths).toEqual(expect.arrayContaining(['Patient.birthDate', 'Patient.name']));
  });
});

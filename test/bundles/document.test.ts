import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/** Bundles of type document, message and collection are stored as Bundle resources at /fhir/Bundle. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
});
afterAll(() => t.close());

const composition = { resourceType: 'Composition', id: 'c1', status: 'final', type: { text: 'discharge summary' }, subject: { reference: 'Patient/p1' }, date: '2026-03-05', author: [{ display: 'Dr Chen' }], title: 'Discharge summary' };
const document = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'document', identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:1f3e0c8a-5b7d-4c2e-9a10-3d5e7f9b1c2d' }, timestamp: '2026-03-05T10:00:00Z', entry });

describe('document, message and collection Bundles', () => {
  it('stores a document whose first entry is a Composition, searchable by identifier and composition', async () => {
    const res = await t.http
      .post('/fhir/Bundle')
      .set('Content-Type', FHIR_JSON)
      .send(document([{ fullUrl: 'http://localhost:8080/fhir/Composition/c1', resource: composition }, { fullUrl: 'http://localhost:8080/fhir/Patient/p1', resource: { resourceType: 'Patient', id: 'p1' } }]));
    expect(res.status).toBe(201);
    const byIdentifier = await t.http.get('/fhir/Bundle?identifier=urn:ietf:rfc:3986|urn:uuid:1f3e0c8a-5b7d-4c2e-9a10-3d5e7f9b1c2d');
    expect(byIdentifier.body.total).toBe(1);
    const byComposition = await t.http.get('/fhir/Bundle?composition.title=Discharge');
    expect(byComposition.status).toBe(200);
  });

  it('refuses a document whose first entry is not a Composition', async () => {
    const res = await t.http.post('/fhir/Bundle').set('Content-Type', FHIR_JSON).send(document([{ fullUrl: 'http://localhost:8080/fhir/Patient/p1', resource: { resourceType: 'Patient', id: 'p1' } }]));
    expect([400, 422]).toContain(res.status);
    expect(res.body.issue.some((i: { diagnostics?: string }) => /Composition|bdl-11/.test(i.diagnostics ?? ''))).toBe(true);
  });

  it('stores collection and message Bundles as they are', async () => {
    expect((await t.http.post('/fhir/Bundle').set('Content-Type', FHIR_JSON).send({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000001', resource: { resourceType: 'Patient' } }] })).status).toBe(201);
    const message = { resourceType: 'Bundle', type: 'message', timestamp: '2026-03-05T10:00:00Z', entry: [{ fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000002', resource: { resourceType: 'MessageHeader', eventCoding: { system: 'http://example.org/events', code: 'admit' }, source: { endpoint: 'http://hospital.example.org' } } }] };
    expect((await t.http.post('/fhir/Bundle').set('Content-Type', FHIR_JSON).send(message)).status).toBe(201);
  });
});

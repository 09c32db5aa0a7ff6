import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'on' });
});
afterAll(() => t.close());

async function auditEvents(): Promise<any[]> {
  await t.server.flushAudit();
  const res = await t.http.get('/fhir/AuditEvent?_count=1000');
  return res.body.entry?.map((e: any) => e.resource) ?? [];
}

describe('audit of API access (IHE BALP shape)', () => {
  it('records create, read, search and a refused request with interaction, action, outcome, patient and source', async () => {
    const created = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' });
    const id = created.body.id;
    await t.http.get(`/fhir/Patient/${id}`);
    await t.http.get('/fhir/Observation?code=http://loinc.org|8867-4');
    await t.http.get('/fhir/Patient/unknown');
    await t.http.get('/fhir/metadata');
    const events = await auditEvents();
    const summary = events.map((e) => [e.subtype[0].code, e.action, e.outcome]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['create', 'C', '0'],
        ['read', 'R', '0'],
        ['search-type', 'E', '0'],
        ['read', 'R', '4'],
      ])
    );
    expect(summary.some(([code]) => code === 'capabilities')).toBe(false);
    const read = events.find((e) => e.subtype[0].code === 'read' && e.outcome === '0');
    expect(read.entity[0]).toMatchObject({ what: { reference: `Patient/${id}` }, role: { code: '1' } });
    expect(read.agent[0].requestor).toBe(true);
    expect(read.agent[0].network.address).toMatch(/127\.0\.0\.1|::1|::ffff:127\.0\.0\.1/);
    const search = events.find((e) => e.subtype[0].code === 'search-type');
    const query = search.entity.find((x: any) => x.role?.code === '24').query;
    expect(Buffer.from(query, 'base64').toString()).toBe('code=http%3A%2F%2Floinc.org%7C8867-4');
  });

  it('recording never alters the answer of the request it records', async () => {
    const res = await t.http.get('/fhir/Patient/nope');
    expect(res.status).toBe(404);
  });
});

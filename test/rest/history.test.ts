import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
let id: string;
let afterFirst: string;
beforeAll(async () => {
  // no AuditEvents here: they would (rightly) appear in system history
  t = await startTestServer({ FHIR_AUDIT: 'off' });
  const created = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', active: true });
  id = created.body.id;
  afterFirst = new Date(Date.parse(created.body.meta.lastUpdated) + 1).toISOString();
  await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 4; i++) {
    await t.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id, active: i % 2 === 0 });
  }
  await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
});
afterAll(() => t.close());

describe('history (http.html#history)', () => {
  it('instance history is a history Bundle, newest first, with request and response per entry', async () => {
    const res = await t.http.get(`/fhir/Patient/${id}/_history`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 5 });
    expect(res.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['5', '4', '3', '2', '1']);
    expect(res.body.entry[4].request).toEqual({ method: 'POST', url: 'Patient' });
    expect(res.body.entry[4].response.status).toBe('201');
    expect(res.body.entry[0].request).toEqual({ method: 'PUT', url: `Patient/${id}` });
    expect(res.body.entry[0].response).toMatchObject({ status: '200', etag: 'W/"5"', lastModified: expect.any(String) });
  });

  it('_count pages with next links that keep _count and reach every version exactly once', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/fhir/Patient/${id}/_history?_count=2`;
    let pages = 0;
    while (url) {
      const res = await t.http.get(url);
      expect(res.status).toBe(200);
      expect(res.body.entry.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.entry.map((e: any) => e.resource.meta.versionId));
      const next = res.body.link.find((l: any) => l.relation === 'next')?.url as string | undefined;
      if (next) expect(next).toContain('_count=2');
      url = next?.replace('http://localhost:8080', '');
      pages++;
    }
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
    expect(pages).toBe(3);
  });

  it('_since keeps versions changed at or after the instant', async () => {
    const res = await t.http.get(`/fhir/Patient/${id}/_history`).query({ _since: afterFirst });
    expect(res.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['5', '4', '3', '2']);
  });

  it('_at gives the version current at that time', async () => {
    const res = await t.http.get(`/fhir/Patient/${id}/_history`).query({ _at: afterFirst });
    expect(res.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['1']);
  });

  it('refuses bad _since, _count and repeated parameters with 400', async () => {
    expect((await t.http.get(`/fhir/Patient/${id}/_history?_since=yesterday`)).status).toBe(400);
    expect((await t.http.get(`/fhir/Patient/${id}/_history?_count=abc`)).status).toBe(400);
    expect((await t.http.get(`/fhir/Patient/${id}/_history?_count=1&_count=2`)).status).toBe(400);
  });

  it('type history covers the type only; system history covers all types', async () => {
    const type = await t.http.get('/fhir/Patient/_history');
    expect(type.body.entry.every((e: any) => e.resource.resourceType === 'Patient')).toBe(true);
    expect(type.body.entry).toHaveLength(5);
    const system = await t.http.get('/fhir/_history');
    // the implementation guide's conformance resources, stored at start, are in system history too
    expect(system.body.entry.map((e: any) => e.resource.resourceType)).toEqual(expect.arrayContaining(['Patient', 'Observation']));
    expect(system.body.entry[0].resource.resourceType).toBe('Observation');
  });

  it('unknown instance history is 404', async () => {
    expect((await t.http.get('/fhir/Patient/nobody/_history')).status).toBe(404);
  });
});

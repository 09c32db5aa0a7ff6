import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * Links, Location and fullUrl name the base the client addressed the server by, when FHIR_BASE_URL is
 * not set and that Host is the server's own (loopback, FHIR_PUBLIC_HOSTS); never an arbitrary Host,
 * and X-Forwarded-* only from a trusted proxy. A configured FHIR_BASE_URL is authoritative.
 */
const created = async (t: TestServer, host: string, headers: Record<string, string> = {}) => {
  const res = await t.http.post('/fhir/Patient').set('Host', host).set(headers).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Base' }] });
  expect(res.status).toBe(201);
  return res.headers.location as string;
};

describe('without FHIR_BASE_URL', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ FHIR_BASE_URL: '', FHIR_PUBLIC_HOSTS: 'fhir.example.org,10.0.0.5:8080', FHIR_AUDIT: 'off' });
    await created(t, 'localhost:8080'); // two patients at least, so that a page of one has a next link
  });
  afterAll(() => t.close());

  it.each([
    ['127.0.0.1:8080', 'http://127.0.0.1:8080/fhir'],
    ['127.0.0.1:9999', 'http://127.0.0.1:9999/fhir'],
    ['localhost:3000', 'http://localhost:3000/fhir'],
    ['[::1]:8080', 'http://[::1]:8080/fhir'],
    ['fhir.example.org', 'http://fhir.example.org/fhir'],
    ['10.0.0.5:8080', 'http://10.0.0.5:8080/fhir'],
  ])('Host %s: Location, fullUrl and links under %s', async (host, base) => {
    const location = await created(t, host);
    expect(location).toMatch(new RegExp(`^${base.replace(/[.[\]]/g, '\\$&')}/Patient/[^/]+/_history/1$`));
    const search = await t.http.get('/fhir/Patient?family=base&_count=1').set('Host', host);
    expect(search.body.entry[0].fullUrl.startsWith(`${base}/Patient/`)).toBe(true);
    for (const link of search.body.link) expect(link.url.startsWith(`${base}/Patient?`)).toBe(true);
    expect(search.body.link.map((l: any) => l.relation)).toContain('next');
  });

  it.each(['evil.example.org', 'evil.example.org:8080', '10.0.0.5:9090', 'localhost.evil.example.org'])('a Host that is not its own (%s) is never reflected: the default base', async (host) => {
    expect(await created(t, host)).toMatch(/^http:\/\/localhost:8080\/fhir\/Patient\//);
  });

  it('X-Forwarded-Host and -Proto are ignored without TRUST_PROXY', async () => {
    expect(await created(t, '127.0.0.1:8080', { 'X-Forwarded-Host': 'fhir.example.org', 'X-Forwarded-Proto': 'https' })).toMatch(/^http:\/\/127\.0\.0\.1:8080\/fhir\//);
  });

  it('what is stored does not depend on the Host: a reference under the default base is local', async () => {
    const patient = (await created(t, '127.0.0.1:8080')).split('/_history')[0].split('/').pop();
    const obs = await t.http
      .post('/fhir/Observation')
      .set('Host', '127.0.0.1:8080')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `http://localhost:8080/fhir/Patient/${patient}` } });
    expect(obs.status).toBe(201);
    const found = await t.http.get(`/fhir/Observation?subject=Patient/${patient}`).set('Host', '[::1]:8080');
    expect(found.body.total).toBe(1);
  });

  it('a transaction takes request.url under the base the client used, or the default one', async () => {
    const res = await t.http
      .post('/fhir')
      .set('Host', '127.0.0.1:8080')
      .set('Content-Type', FHIR_JSON)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'http://127.0.0.1:8080/fhir/Patient' } },
          { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'http://localhost:8080/fhir/Patient' } },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
  });
});

describe('behind a trusted proxy', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ FHIR_BASE_URL: '', TRUST_PROXY: '1', FHIR_PUBLIC_HOSTS: 'fhir.example.org', FHIR_AUDIT: 'off' });
  });
  afterAll(() => t.close());

  it('X-Forwarded-Host and -Proto name the base when the host is the server\'s own', async () => {
    expect(await created(t, '127.0.0.1:8080', { 'X-Forwarded-Host': 'fhir.example.org', 'X-Forwarded-Proto': 'https' })).toMatch(/^https:\/\/fhir\.example\.org\/fhir\/Patient\//);
  });

  it('a forwarded host that is not its own is not reflected', async () => {
    expect(await created(t, '127.0.0.1:8080', { 'X-Forwarded-Host': 'evil.example.org', 'X-Forwarded-Proto': 'https' })).toMatch(/^http:\/\/localhost:8080\/fhir\//);
  });
});

describe('with FHIR_BASE_URL', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ FHIR_BASE_URL: 'https://fhir.example.org/r4', FHIR_PUBLIC_HOSTS: 'other.example.org', FHIR_AUDIT: 'off' });
  });
  afterAll(() => t.close());

  it.each(['127.0.0.1:8080', 'other.example.org', 'evil.example.org'])('every link is under it, whatever the Host (%s)', async (host) => {
    const res = await t.http.post('/r4/Patient').set('Host', host).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^https:\/\/fhir\.example\.org\/r4\/Patient\//);
  });
});

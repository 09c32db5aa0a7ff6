import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const patient = () => ({
  resourceType: 'Patient',
  id: 'client-chosen',
  meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z' },
  name: [{ family: 'Zhang', given: ['Wei'] }],
  gender: 'male',
  birthDate: '1975-03-04',
  identifier: [{ system: 'urn:test:mi', value: 'MI-1' }],
});

describe('create (http.html#create)', () => {
  it('answers 201 with Location, ETag and Last-Modified, and ignores the client id and meta', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient());
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const body = res.body;
    expect(body.id).not.toBe('client-chosen');
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.meta.versionId).toBe('1');
    expect(body.meta.lastUpdated).not.toBe('2001-01-01T00:00:00Z');
    expect(res.headers.location).toBe(`http://localhost:8080/fhir/Patient/${body.id}/_history/1`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(new Date(res.headers['last-modified']).getTime()).toBe(Math.floor(Date.parse(body.meta.lastUpdated) / 1000) * 1000);
  });

  it('accepts application/json too', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', 'application/json').send(JSON.stringify(patient()));
    expect(res.status).toBe(201);
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=minimal').send(patient());
    expect(minimal.status).toBe(201);
    expect(minimal.text).toBe('');
    expect(minimal.headers.location).toMatch(/\/fhir\/Patient\/.+\/_history\/1$/);
    const oo = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(patient());
    expect(oo.status).toBe(201);
    expect(oo.body.resourceType).toBe('OperationOutcome');
    expect(oo.body.issue[0].severity).toBe('information');
  });

  it('If-None-Exist: 0 matches creates, 1 match returns it with 200, more than 1 is 412', async () => {
    const cond = 'identifier=urn:test:cc|CC-1';
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test:cc', value: 'CC-1' }] };
    const first = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', cond).send(body);
    expect(first.status).toBe(201);
    const second = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', cond).send(body);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(body); // now two match
    const third = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('If-None-Exist', cond).send(body);
    expect(third.status).toBe(412);
    expect(third.body.resourceType).toBe('OperationOutcome');
  });

  it.each([
    ['a resourceType that differs from the URL', { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, 400],
    ['no resourceType', { name: [{ family: 'x' }] }, 400],
    ['an unknown element', { resourceType: 'Patient', favouriteColour: 'blue' }, 400],
    ['a wrong primitive type', { resourceType: 'Patient', active: 'yes' }, 400],
    ['an invalid date', { resourceType: 'Patient', birthDate: '2020-13-45' }, 400],
  ])('refuses %s with an OperationOutcome', async (_what, body, status) => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(body);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].severity).toBe('error');
  });

  it('points validation issues at the element', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', birthDate: 'yesterday' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Patient.birthDate']);
  });

  it('answers 422 for a well-formed resource that breaks a rule (missing required element)', async () => {
    const res = await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send({ resourceType: 'Observation', status: 'final' });
    expect(res.status).toBe(422);
    expect(res.body.issue.some((i: { expression?: string[] }) => i.expression?.includes('Observation.code'))).toBe(true);
  });
});

describe('read and vread (http.html#read, #vread)', () => {
  let id: string;
  beforeAll(async () => {
    id = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient())).body.id;
  });

  it('reads with ETag and Last-Modified, body id equal to the URL id', async () => {
    const res = await t.http.get(`/fhir/Patient/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(id);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers['last-modified']).toBeDefined();
  });

  it('answers 304 to a matching If-None-Match and to If-Modified-Since at or after the change', async () => {
    expect((await t.http.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"1"')).status).toBe(304);
    expect((await t.http.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"7"')).status).toBe(200);
    const later = new Date(Date.now() + 60_000).toUTCString();
    expect((await t.http.get(`/fhir/Patient/${id}`).set('If-Modified-Since', later)).status).toBe(304);
    expect((await t.http.get(`/fhir/Patient/${id}`).set('If-Modified-Since', 'Mon, 01 Jan 2001 00:00:00 GMT')).status).toBe(200);
  });

  it('HEAD gives the headers of GET and no body', async () => {
    const res = await t.http.head(`/fhir/Patient/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.text ?? '').toBe('');
  });

  it('answers 404 for an unknown id and 400 for an id outside [A-Za-z0-9-.]{1,64}', async () => {
    const unknown = await t.http.get('/fhir/Patient/does-not-exist');
    expect(unknown.status).toBe(404);
    expect(unknown.body.issue[0].code).toBe('not-found');
    expect((await t.http.get(`/fhir/Patient/${'x'.repeat(65)}`)).status).toBe(400);
    expect((await t.http.get('/fhir/Patient/a%20b')).status).toBe(400);
    expect((await t.http.get('/fhir/Patient/a%0d%0aSet-Cookie:x')).status).toBe(400);
  });

  it('ids are case-sensitive', async () => {
    expect((await t.http.get(`/fhir/Patient/${id.toUpperCase()}`)).status).toBe(404);
    expect((await t.http.get(`/fhir/patient/${id}`)).status).toBe(404);
  });

  it('vreads a version, 404 for an unknown one', async () => {
    const res = await t.http.get(`/fhir/Patient/${id}/_history/1`);
    expect(res.status).toBe(200);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.etag).toBe('W/"1"');
    expect((await t.http.get(`/fhir/Patient/${id}/_history/2`)).status).toBe(404);
    expect((await t.http.get(`/fhir/Patient/${id}/_history/abc`)).status).toBe(404);
  });
});

describe('required bindings (validation on write)', () => {
  it('refuses a code outside its required ValueSet with 422 at the element', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', gender: 'bogus' });
    expect(res.status).toBe(422);
    expect(res.body.issue[0]).toMatchObject({ code: 'code-invalid', expression: ['Patient.gender'] });
  });
});

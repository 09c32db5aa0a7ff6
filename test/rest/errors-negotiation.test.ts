import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_BODY_LIMIT: '80kb' });
});
afterAll(() => t.close());

function expectOutcome(res: { body: any; text: string }, code?: string): void {
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].severity).toMatch(/error|fatal/);
  if (code) expect(res.body.issue[0].code).toBe(code);
  expect(res.text).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
}

describe('errors are OperationOutcomes with the right status (http.html#Status-Codes)', () => {
  it('unknown type is 404, unknown route is 404, unsupported method is 405', async () => {
    const type = await t.http.get('/fhir/NotAType');
    expect(type.status).toBe(404);
    expectOutcome(type);
    const route = await t.http.get('/fhir/Patient/1/_history/1/extra');
    expect(route.status).toBe(404);
    expectOutcome(route);
    const outside = await t.http.get('/nothing-here');
    expect(outside.status).toBe(404);
    expectOutcome(outside);
    const method = await t.http.post('/fhir/metadata').set('Content-Type', FHIR_JSON).send({});
    expect(method.status).toBe(405);
    expectOutcome(method);
  });

  it('malformed JSON, invalid UTF-8 and prototype keys are 400; ({}).polluted stays undefined', async () => {
    const bad = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{"resourceType": "Patient",');
    expect(bad.status).toBe(400);
    expectOutcome(bad);
    const utf = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(utf.status).toBe(400);
    for (const body of ['{"resourceType":"Patient","__proto__":{"polluted":1}}', '{"resourceType":"Patient","\\u005f_proto__":{"polluted":1}}', '{"resourceType":"Patient","constructor":{"prototype":{"polluted":1}}}']) {
      const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(body);
      expect(res.status).toBe(400);
      expectOutcome(res);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('deeply nested JSON is 400 and the server keeps serving', async () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(`{"resourceType":"Patient","extension":[${deep}]}`);
    expect(res.status).toBe(400);
    expectOutcome(res);
    expect((await t.http.get('/fhir/metadata')).status).toBe(200);
  });

  it('a body over the limit is 413', async () => {
    const res = await t.http
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ resourceType: 'Patient', name: [{ text: 'x'.repeat(100_000) }] }));
    expect(res.status).toBe(413);
    expectOutcome(res, 'too-costly');
  });

  it('an unsupported request Content-Type is 415', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+xml').send('<Patient/>');
    expect(res.status).toBe(415);
    expectOutcome(res);
    const version = await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json; fhirVersion=3.0').send('{"resourceType":"Patient"}');
    expect(version.status).toBe(415);
  });
});

describe('content negotiation (http.html#mime-type)', () => {
  it.each(['application/fhir+json', 'application/json', '*/*', 'application/fhir+json; fhirVersion=4.0'])('Accept %s gives FHIR JSON', async (accept) => {
    const res = await t.http.get('/fhir/metadata').set('Accept', accept);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  });

  it('_format=json is accepted; XML by Accept or _format is 406; fhirVersion=3.0 is 406', async () => {
    expect((await t.http.get('/fhir/metadata?_format=json')).status).toBe(200);
    expect((await t.http.get('/fhir/metadata?_format=application/fhir%2Bjson')).status).toBe(200);
    expect((await t.http.get('/fhir/metadata').set('Accept', 'application/fhir+xml')).status).toBe(406);
    expect((await t.http.get('/fhir/metadata?_format=xml')).status).toBe(406);
    expect((await t.http.get('/fhir/metadata').set('Accept', 'application/fhir+json; fhirVersion=3.0')).status).toBe(406);
  });

  it('_pretty=true indents the JSON', async () => {
    const res = await t.http.get('/fhir/metadata?_pretty=true');
    expect(res.text).toMatch(/^\{\n {2}"resourceType": "CapabilityStatement"/);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    expect((await t.http.get('/fhir/metadata').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    const odd = await t.http.get('/fhir/metadata').set('X-Request-Id', 'a b<script>');
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('capabilities and health', () => {
  it('GET /metadata is a CapabilityStatement generated from the definitions', async () => {
    const res = await t.http.get('/fhir/metadata');
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    expect(res.body.kind).toBe('instance');
    const resources = res.body.rest[0].resource as any[];
    expect(resources.length).toBeGreaterThan(140);
    const patient = resources.find((r) => r.type === 'Patient');
    expect(patient.interaction.map((i: any) => i.code)).toEqual(
      expect.arrayContaining(['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'])
    );
    expect(patient).toMatchObject({ versioning: 'versioned-update', updateCreate: true, conditionalCreate: true, conditionalDelete: 'single' });
    expect(patient.searchParam.map((p: any) => p.name)).toEqual(expect.arrayContaining(['_id', 'family', 'identifier', 'general-practitioner']));
  });

  it('GET /healthz checks the store', async () => {
    const res = await t.http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', store: t.server.store.kind, audit: 'ok' });
  });
});

import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';

/** Object.prototype member names (constructor, toString, valueOf...) are no element names: refused at any depth, nothing stored. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
});
afterAll(() => t.close());

const NAMES = Object.getOwnPropertyNames(Object.prototype);
const patients = async () => (await t.http.get('/fhir/Patient?_summary=count')).body.total as number;
const post = (path: string, body: string, type = FHIR_JSON) => t.http.post(path).set('Content-Type', type).send(body);
const outcome = (res: { status: number; body: any }) => [res.status, res.body?.resourceType, res.body?.issue?.[0]?.code];
const REFUSED = [400, 'OperationOutcome', 'structure'];

describe('element names that are Object.prototype members', () => {
  it.each(NAMES)('%s is refused at the top, nested, and inside arrays', async (name) => {
    const key = JSON.stringify(name);
    const before = await patients();
    for (const body of [
      `{"resourceType":"Patient",${key}:{"family":"x"}}`,
      `{"resourceType":"Patient","name":[{"family":"x",${key}:"y"}]}`,
      `{"resourceType":"Patient","contact":[{"name":{"given":["a"]},"extension":[{"url":"u","valueString":"v",${key}:1}]}]}`,
    ]) {
      expect([name, ...outcome(await post('/fhir/Patient', body))]).toEqual([name, ...REFUSED]);
    }
    const put = await t.http.put('/fhir/Patient/named').set('Content-Type', FHIR_JSON).send(`{"resourceType":"Patient","id":"named","address":[{${key}:"x"}]}`);
    expect(outcome(put)).toEqual(REFUSED);
    expect(await patients()).toBe(before);
  });

  it('says which element', async () => {
    const res = await post('/fhir/Patient', '{"resourceType":"Patient","name":[{"family":"x"},{"valueOf":"y"}]}');
    expect(res.body.issue[0].expression).toEqual(['Patient.name[1].valueOf']);
    expect(res.body.issue[0].details.coding[0].code).toBe('FHIR-0400-NAME');
  });

  it('refuses such a name in a transaction entry, writing none of the entries', async () => {
    const before = await patients();
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Fine' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', name: [{ family: 'Bad' }], telecom: [{ hasOwnProperty: 'x' }] }, request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const res = await post('/fhir', JSON.stringify(bundle));
    expect(outcome(res)).toEqual(REFUSED);
    expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1].resource.telecom[0].hasOwnProperty']);
    expect(await patients()).toBe(before);
  });

  it('refuses such a name in a JSON Patch, in its values, its pointers, and inside a transaction Binary', async () => {
    const created = await post('/fhir/Patient', JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Li' }] }));
    const id = created.body.id;
    const patch = (ops: string) => t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', 'application/json-patch+json').send(ops);
    expect(outcome(await patch('[{"op":"add","path":"/name/0/period","value":{"isPrototypeOf":"2020"}}]'))).toEqual(REFUSED);
    for (const name of NAMES) {
      const res = await patch(JSON.stringify([{ op: 'add', path: `/name/0/${name}`, value: 'x' }]));
      expect([name, res.status]).toEqual([name, 400]);
    }
    const binary = (ops: string) => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(ops).toString('base64') }, request: { method: 'PATCH', url: `Patient/${id}` } }],
    });
    const tx = await post('/fhir', JSON.stringify(binary('[{"op":"add","path":"/name/0/period","value":{"toLocaleString":"x"}}]')));
    expect(outcome(tx)).toEqual(REFUSED);
    expect((await post('/fhir', JSON.stringify(binary('[{"op":"add","path":"/gender","value":"female"}]')))).status).toBe(200);
    const now = (await t.http.get(`/fhir/Patient/${id}`)).body;
    expect([now.meta.versionId, now.gender, now.name]).toEqual(['2', 'female', [{ family: 'Li' }]]);
  });

  it('keeps such words where they are values, not names', async () => {
    const res = await post('/fhir/Patient', JSON.stringify({ resourceType: 'Patient', name: [{ family: 'constructor', given: ['toString'] }] }));
    expect(res.status).toBe(201);
    expect(res.body.name).toEqual([{ family: 'constructor', given: ['toString'] }]);
  });
});

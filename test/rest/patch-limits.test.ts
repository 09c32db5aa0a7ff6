import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';

/** A patch is bounded: in operations, in how much it may grow or deepen a resource, in what its paths may compute. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const JSON_PATCH = 'application/json-patch+json';
const issue = (res: { body: any }) => res.body.issue?.[0];
const errorCode = (res: { body: any }) => issue(res)?.details?.coding?.[0]?.code;

async function createPatient(extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', ...extra });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The version and content of a stored resource, to show a refused write changed nothing. */
async function stored(id: string): Promise<{ versionId: string; body: any }> {
  const res = await t.http.get(`/fhir/Patient/${id}`);
  expect(res.status).toBe(200);
  return { versionId: res.body.meta.versionId, body: res.body };
}

describe('JSON Patch and FHIRPath Patch are bounded', () => {
  const patch = (id: string, body: unknown, type = JSON_PATCH) => t.http.patch(`/fhir/Patient/${id}`).set('Content-Type', type).send(JSON.stringify(body));
  const extension = [{ url: 'http://example.org/x', valueString: 'a value of some length' }];

  it('a small patch of copies that double the resource is refused quickly as too costly, and nothing is written', async () => {
    const id = await createPatient({ extension });
    const before = await stored(id);
    const ops = Array.from({ length: 26 }, () => ({ op: 'copy', from: '/extension', path: '/extension/-' }));
    expect(JSON.stringify(ops).length).toBeLessThan(1600);
    const started = Date.now();
    const res = await patch(id, ops);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(issue(res).code).toBe('too-costly');
    expect(errorCode(res)).toBe('FHIR-0422-PATCH-SIZE');
    expect(await stored(id)).toEqual(before);
    expect(before.versionId).toBe('1');
  });

  it('copies that only deepen the resource are refused before they nest past the depth limit', async () => {
    const id = await createPatient({ extension });
    const ops = Array.from({ length: 200 }, () => ({ op: 'copy', from: '/extension/0', path: '/extension/0/extension' }));
    const res = await patch(id, ops);
    expect(res.status).toBe(422);
    expect(issue(res).code).toBe('too-costly');
    expect((await stored(id)).versionId).toBe('1');
  });

  it('more than 1,000 operations are refused without applying any', async () => {
    const id = await createPatient({ active: false });
    const ops = Array.from({ length: 1001 }, (_, i) => ({ op: 'replace', path: '/active', value: i % 2 === 0 }));
    const res = await patch(id, ops);
    expect(res.status).toBe(422);
    expect(issue(res).code).toBe('too-costly');
    expect(errorCode(res)).toBe('FHIR-0422-PATCH-OPS');
    expect((await stored(id)).versionId).toBe('1');
    // 1,000 are fine
    expect((await patch(id, ops.slice(0, 1000))).status).toBe(200);
  });

  it('a test operation on long arrays answers at once', async () => {
    const given = Array.from({ length: 3000 }, (_, i) => `g${i}`);
    const id = await createPatient({ name: [{ family: 'Long', given }] });
    const other = [...given].reverse();
    const started = Date.now();
    const res = await patch(id, [{ op: 'test', path: '/name/0/given', value: other }]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(422);
    expect(errorCode(res)).toBe('FHIR-0422-PATCH');
    expect((await patch(id, [{ op: 'test', path: '/name/0/given', value: given }, { op: 'replace', path: '/name/0/family', value: 'Short' }])).status).toBe(200);
  });

  it('FHIRPath Patch paths may not use functions that build collections, nor variables or unions', async () => {
    const id = await createPatient({ name: Array.from({ length: 40 }, (_, i) => ({ family: `f${i}` })) });
    const op = (path: string) => ({
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: path }] }],
    });
    for (const path of [
      `Patient.name${'.select($this.combine($this))'.repeat(30)}.where(false)`,
      'Patient.name.repeat(name).first()',
      'Patient.descendants().first()',
      '(Patient.name | Patient.name).first()',
      'Patient.name.where(%resource.name.exists()).first()',
      'Patient.constructor',
    ]) {
      const started = Date.now();
      const res = await patch(id, op(path), FHIR_JSON);
      expect(Date.now() - started).toBeLessThan(2000);
      expect([path, res.status, errorCode(res)]).toEqual([path, 400, 'FHIR-0400-PATCH']);
    }
    const ok = await patch(id, op("Patient.name.where(family = 'f3')"), FHIR_JSON);
    expect(ok.status).toBe(200);
    expect(ok.body.name).toHaveLength(39);
  });

  it('FHIRPath Patch may not add an element named after an Object.prototype member', async () => {
    const id = await createPatient();
    for (const name of ['constructor', 'toString', '__proto__']) {
      const res = await patch(
        id,
        {
          resourceType: 'Parameters',
          parameter: [
            { name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: name }, { name: 'value', valueString: 'x' }] },
          ],
        },
        FHIR_JSON
      );
      expect([name, res.status]).toEqual([name, 400]);
    }
    expect((await stored(id)).versionId).toBe('1');
  });
});

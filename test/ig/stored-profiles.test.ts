import { getRegistry } from '../../src/definitions/registry';
import { createFhirServer } from '../../src/server';
import request from 'supertest';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * A profile (and the ValueSet it binds) created through the API is used at once by $validate and by
 * validation on write, changes with its updates, goes with its deletion, and is loaded again at start;
 * a StructureDefinition the validator could not use is refused with 422.
 */
const URL_ = 'http://tester.example.org/fhir/StructureDefinition/patient-with-birthdate';
const VS = 'http://tester.example.org/fhir/ValueSet/married-only';
const MARITAL = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus';

/** A constraint on Patient: the base snapshot with `required` elements made 1..1 and maritalStatus bound to VS. */
function profile(required: string[], extra: Record<string, unknown> = {}): any {
  const base = JSON.parse(JSON.stringify(getRegistry().structureDefinition('Patient')));
  const element = base.snapshot.element.map((e: any) => {
    if (required.includes(e.path)) return { ...e, min: 1 };
    if (e.path === 'Patient.maritalStatus') return { ...e, binding: { strength: 'required', valueSet: VS } };
    return e;
  });
  return {
    resourceType: 'StructureDefinition',
    url: URL_,
    name: 'PatientWithBirthDate',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    snapshot: { element },
    ...extra,
  };
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
});
afterAll(() => t.close());

const validateAgainst = (resource: object) => t.http.post(`/fhir/Patient/$validate?profile=${encodeURIComponent(URL_)}`).set('Content-Type', FHIR_JSON).send(resource);
const errors = (body: any) => body.issue.filter((i: any) => i.severity === 'error');
const claiming = (r: Record<string, unknown>) => ({ resourceType: 'Patient', meta: { profile: [URL_] }, ...r });

describe('a profile stored through the API', () => {
  let id: string;

  it('is unknown before it is stored', async () => {
    expect((await validateAgainst({ resourceType: 'Patient' })).status).toBe(400);
  });

  it('is used by $validate and on write at once after a create', async () => {
    const created = await t.http.post('/fhir/StructureDefinition').set('Content-Type', FHIR_JSON).send(profile(['Patient.birthDate']));
    expect(created.status).toBe(201);
    id = created.body.id;

    const missing = await validateAgainst({ resourceType: 'Patient', gender: 'female' });
    expect(missing.status).toBe(200);
    expect(errors(missing.body)).toEqual([expect.objectContaining({ expression: [expect.stringMatching(/Patient\.birthDate/)] })]);
    expect(errors((await validateAgainst({ resourceType: 'Patient', birthDate: '1980-05-01' })).body)).toEqual([]);

    const refused = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(claiming({ gender: 'female' }));
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body.issue)).toMatch(/birthDate/);
    expect((await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(claiming({ birthDate: '1980-05-01' }))).status).toBe(201);
    const metadata = await t.http.get('/fhir/metadata');
    expect(metadata.body.rest[0].resource.find((r: any) => r.type === 'Patient').supportedProfile).toContain(URL_);
    // a Patient that claims no profile is held to the base definition only
    expect((await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).status).toBe(201);
  });

  it('binds to a ValueSet stored through the API', async () => {
    const vs = await t.http.post('/fhir/ValueSet').set('Content-Type', FHIR_JSON).send({
      resourceType: 'ValueSet',
      url: VS,
      status: 'active',
      compose: { include: [{ system: MARITAL, concept: [{ code: 'M' }] }] },
    });
    expect(vs.status).toBe(201);
    const single = await validateAgainst({ resourceType: 'Patient', birthDate: '1980-05-01', maritalStatus: { coding: [{ system: MARITAL, code: 'S' }] } });
    expect(errors(single.body)).toEqual([expect.objectContaining({ code: 'code-invalid', diagnostics: expect.stringContaining(VS) })]);
    expect(errors((await validateAgainst({ resourceType: 'Patient', birthDate: '1980-05-01', maritalStatus: { coding: [{ system: MARITAL, code: 'M' }] } })).body)).toEqual([]);
  });

  it('changes with an update', async () => {
    const updated = await t.http.put(`/fhir/StructureDefinition/${id}`).set('Content-Type', FHIR_JSON).send({ ...profile(['Patient.birthDate', 'Patient.gender']), id });
    expect(updated.status).toBe(200);
    const res = await validateAgainst({ resourceType: 'Patient', birthDate: '1980-05-01' });
    expect(errors(res.body)).toEqual([expect.objectContaining({ expression: [expect.stringMatching(/Patient\.gender/)] })]);
  });

  it.each([
    ['without a snapshot', () => ({ ...profile([]), snapshot: undefined, differential: { element: [{ id: 'Patient', path: 'Patient' }] } }), /needs a snapshot/],
    ['with an invariant that is not FHIRPath', () => {
      const p = profile([]);
      p.snapshot.element[0] = { ...p.snapshot.element[0], constraint: [{ key: 'bad-1', severity: 'error', human: 'broken', expression: 'name.where(' }] };
      return p;
    }, /bad-1/],
    ['with an element of a type that does not exist', () => {
      const p = profile(['Patient.birthDate']);
      p.snapshot.element = p.snapshot.element.map((e: any) => (e.path === 'Patient.birthDate' ? { ...e, type: [{ code: 'NoSuchType' }] } : e));
      return p;
    }, /NoSuchType/],
  ])('is refused with 422 %s, and validation goes on as before', async (_what, make, message) => {
    const res = await t.http.post('/fhir/StructureDefinition').set('Content-Type', FHIR_JSON).send({ ...make(), url: `${URL_}-broken` });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(message);
    expect((await t.http.get(`/fhir/StructureDefinition?url=${encodeURIComponent(`${URL_}-broken`)}`)).body.total).toBe(0);
    expect(errors((await validateAgainst({ resourceType: 'Patient', birthDate: '1980-05-01', gender: 'male' })).body)).toEqual([]);
  });

  it('takes effect from a transaction once it committed, and not from one rolled back', async () => {
    const url = `${URL_}-tx`;
    const tx = (extra: object[]) =>
      t.http
        .post('/fhir')
        .set('Content-Type', FHIR_JSON)
        .send({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...profile(['Patient.gender']), url }, request: { method: 'POST', url: 'StructureDefinition' } }, ...extra] });
    const against = () => t.http.post(`/fhir/Patient/$validate?profile=${encodeURIComponent(url)}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' });
    // the second entry fails validation: nothing is stored, and the profile is not used
    expect((await tx([{ resource: { resourceType: 'Patient', gender: 'bogus' }, request: { method: 'POST', url: 'Patient' } }])).status).toBe(422);
    expect((await against()).status).toBe(400);
    expect((await tx([])).status).toBe(200);
    expect(errors((await against()).body)).toEqual([expect.objectContaining({ expression: [expect.stringMatching(/Patient\.gender/)] })]);
  });

  it('may not replace a definition of the specification', async () => {
    const res = await t.http.post('/fhir/StructureDefinition').set('Content-Type', FHIR_JSON).send({ ...profile(['Patient.birthDate']), url: 'http://hl7.org/fhir/StructureDefinition/Patient' });
    // stored as a conformance resource, but the base definition stays what the specification says
    expect(res.status).toBe(201);
    expect(errors((await t.http.post('/fhir/Patient/$validate?profile=http://hl7.org/fhir/StructureDefinition/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).body)).toEqual([]);
    expect((await t.http.delete(`/fhir/StructureDefinition/${res.body.id}`)).status).toBe(204);
  });

  it('is loaded again when the server starts on the same store', async () => {
    if (process.env.FHIR_TEST_STORE) return; // the stand-in's store lives in this server only
    // the registry is the process's: forget the profile, as a new process would not know it
    getRegistry().profiles.removeStored(id);
    expect(getRegistry().profiles.get(URL_)).toBeUndefined();
    const again = await createFhirServer(t.config);
    try {
      const res = await request(again.app).post(`/fhir/Patient/$validate?profile=${encodeURIComponent(URL_)}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', birthDate: '1980-05-01' });
      expect(res.status).toBe(200);
      expect(errors(res.body)).toEqual([expect.objectContaining({ expression: [expect.stringMatching(/Patient\.gender/)] })]);
    } finally {
      await again.close();
    }
  });

  it('goes with its deletion', async () => {
    expect((await t.http.delete(`/fhir/StructureDefinition/${id}`)).status).toBe(204);
    const res = await validateAgainst({ resourceType: 'Patient' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/not known/);
    const metadata = await t.http.get('/fhir/metadata');
    expect(metadata.body.rest[0].resource.find((r: any) => r.type === 'Patient').supportedProfile ?? []).not.toContain(URL_);
    expect((await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(claiming({}))).status).toBe(201);
  });
});

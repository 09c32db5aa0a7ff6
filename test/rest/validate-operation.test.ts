import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('$validate (Resource-validate)', () => {
  it('answers 200 with an information issue for a valid resource', async () => {
    const res = await t.http.post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', gender: 'male' });
    expect(res.status).toBe(200);
    expect(res.body.issue).toEqual([{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }]);
  });

  it('reports errors with severity, code, diagnostics and the element path, and stores nothing', async () => {
    const res = await t.http
      .post('/fhir/Patient/$validate')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 'bogus', birthDate: '2020-99' } }, { name: 'mode', valueCode: 'create' }] });
    expect(res.status).toBe(200);
    const byPath = Object.fromEntries(res.body.issue.map((i: any) => [i.expression[0], i]));
    expect(byPath['Patient.gender']).toMatchObject({ severity: 'error', code: 'code-invalid', diagnostics: expect.stringContaining('bogus') });
    expect(byPath['Patient.birthDate']).toMatchObject({ severity: 'error', diagnostics: expect.any(String) });
    expect((await t.http.get('/fhir/Patient')).body.total).toBe(0);
  });

  it('validates a stored resource at instance level with GET, and refuses an unknown profile or mode', async () => {
    const id = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).body.id;
    const res = await t.http.get(`/fhir/Patient/${id}/$validate`);
    expect(res.status).toBe(200);
    expect(res.body.issue[0].severity).toBe('information');
    expect((await t.http.get(`/fhir/Patient/${id}/$validate?profile=http://example.org/none`)).status).toBe(400);
    expect((await t.http.get(`/fhir/Patient/${id}/$validate?mode=destroy`)).status).toBe(400);
  });

  it('takes the base definitions as profiles: valid, invalid, and a profile of another type', async () => {
    const base = 'http://hl7.org/fhir/StructureDefinition/Patient';
    const ok = await t.http.post(`/fhir/Patient/$validate?profile=${encodeURIComponent(base)}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', gender: 'male' });
    expect(ok.status).toBe(200);
    expect(ok.body.issue).toEqual([{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }]);
    const bad = await t.http
      .post('/fhir/Patient/$validate')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 'bogus' } }, { name: 'profile', valueUri: `${base}|4.0.1` }] });
    expect(bad.status).toBe(200);
    expect(bad.body.issue).toContainEqual(expect.objectContaining({ severity: 'error', code: 'code-invalid', expression: ['Patient.gender'] }));
    const other = await t.http.post('/fhir/Patient/$validate?profile=http://hl7.org/fhir/StructureDefinition/Observation').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' });
    expect(other.status).toBe(200);
    expect(other.body.issue).toEqual([expect.objectContaining({ severity: 'error', diagnostics: expect.stringContaining('constrains Observation, not Patient') })]);
  });

  it('mode=update requires the id to match', async () => {
    const res = await t.http.post('/fhir/Patient/abc/$validate?mode=update').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: 'xyz' });
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', expression: ['Patient.id'] });
  });

  it('is listed in the CapabilityStatement', async () => {
    const cs = (await t.http.get('/fhir/metadata')).body;
    const patient = cs.rest[0].resource.find((r: any) => r.type === 'Patient');
    expect(patient.operation).toContainEqual({ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' });
  });
});

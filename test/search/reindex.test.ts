import { getRegistry } from '../../src/definitions/registry';
import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';
import { matchIds, seed } from './helpers';

describe('$reindex makes a SearchParameter added later searchable', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      { resourceType: 'Patient', id: 'a', name: [{ family: 'A' }], maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] } },
      { resourceType: 'Patient', id: 'b', name: [{ family: 'B' }], maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'S' }] } },
    ]);
  });
  afterAll(() => t.close());

  it('indexes existing resources for the new parameter', async () => {
    expect((await t.http.get('/fhir/Patient?marital-status=M').set('Prefer', 'handling=strict')).status).toBe(400);
    getRegistry().addSearchParameter({
      resourceType: 'SearchParameter',
      url: 'http://insured.example.org/fhir/SearchParameter/Patient-marital-status',
      name: 'marital-status',
      status: 'active',
      description: 'Marital status',
      code: 'marital-status',
      base: ['Patient'],
      type: 'token',
      expression: 'Patient.maritalStatus',
    });
    expect(await matchIds(t, '/fhir/Patient?marital-status=M')).toEqual([]);
    const res = await t.http.post('/fhir/$reindex').set('Content-Type', FHIR_JSON).send({ resourceType: 'Parameters' });
    expect(res.status).toBe(200);
    expect(res.body.parameter.find((p: any) => p.name === 'updated').valueInteger).toBeGreaterThanOrEqual(2);
    expect(await matchIds(t, '/fhir/Patient?marital-status=M')).toEqual(['a']);
    expect(await matchIds(t, '/fhir/Patient?marital-status=http://terminology.hl7.org/CodeSystem/v3-MaritalStatus|S')).toEqual(['b']);
    const typeLevel = await t.http.post('/fhir/Patient/$reindex').set('Content-Type', FHIR_JSON).send({ resourceType: 'Parameters' });
    expect(typeLevel.body.parameter.find((p: any) => p.name === 'resources').valueInteger).toBe(2);
  });

  it('is not a GET and is listed in the CapabilityStatement', async () => {
    expect((await t.http.get('/fhir/$reindex')).status).toBe(405);
    const cs = (await t.http.get('/fhir/metadata')).body;
    expect(cs.rest[0].operation.map((o: any) => o.name)).toContain('reindex');
  });
});

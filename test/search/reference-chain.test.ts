import { startTestServer, type TestServer } from '../helpers/server';
import { matchIds, search, searchError, seed } from './helpers';

describe('reference, chained and reverse-chained search, _include and _revinclude', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      { resourceType: 'Organization', id: 'org1', name: 'Acme Insurance' },
      { resourceType: 'Organization', id: 'org2', name: 'Other Corp', partOf: { reference: 'Organization/org1' } },
      { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'House' }] },
      { resourceType: 'Patient', id: 'p1', name: [{ family: 'Peters' }], managingOrganization: { reference: 'Organization/org2' }, generalPractitioner: [{ reference: 'Practitioner/dr1' }] },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Paulsen' }], managingOrganization: { reference: 'Organization/org1' } },
      { resourceType: 'Patient', id: 'gone', name: [{ family: 'Ghost' }] },
      { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Practitioner/dr1' }] },
      { resourceType: 'Observation', id: 'o2', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '9999-9' }] }, subject: { reference: 'Patient/p2' } },
      { resourceType: 'Observation', id: 'o3', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/gone' } },
      { resourceType: 'Observation', id: 'o4', status: 'final', code: { text: 'x' }, subject: { identifier: { system: 'urn:ins', value: 'X9' } } },
      { resourceType: 'Observation', id: 'o5', status: 'final', code: { text: 'x' }, subject: { reference: 'Group/g1' } },
      { resourceType: 'Questionnaire', id: 'q1', status: 'active', url: 'http://example.org/Questionnaire/intake', version: '2' },
      { resourceType: 'QuestionnaireResponse', id: 'qr1', status: 'completed', questionnaire: 'http://example.org/Questionnaire/intake|2' },
      { resourceType: 'QuestionnaireResponse', id: 'qr2', status: 'completed', questionnaire: 'http://example.org/Questionnaire/intake|3' },
      { resourceType: 'Provenance', id: 'prov1', target: [{ reference: 'Observation/o1' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/dr1' } }] },
    ]);
    expect((await t.http.delete('/fhir/Patient/gone')).status).toBe(204);
  });
  afterAll(() => t.close());

  it.each([
    ['Observation?subject=Patient/p1', ['o1']],
    ['Observation?subject=p1', ['o1']],
    ['Observation?patient=p1', ['o1']],
    ['Observation?patient=Patient/p1', ['o1']],
    ['Observation?subject:Patient=p1', ['o1']],
    ['Observation?subject=http://localhost:8080/fhir/Patient/p1', ['o1']],
    ['Observation?subject=Patient/p1/_history/1', ['o1']],
    ['Observation?subject=Patient/p1,Patient/p2', ['o1', 'o2']],
    ['Observation?subject=Group/g1', ['o5']],
    ['Observation?subject:identifier=urn:ins|X9', ['o4']],
    ['Observation?subject:missing=true', []],
    ['Observation?performer:missing=false', ['o1']],
    ['QuestionnaireResponse?questionnaire=http://example.org/Questionnaire/intake', ['qr1', 'qr2']],
    ['QuestionnaireResponse?questionnaire=http://example.org/Questionnaire/intake|2', ['qr1']],
    ['Questionnaire?url=http://example.org/Questionnaire/intake', ['q1']],
    ['Questionnaire?url:below=http://example.org/Questionnaire', ['q1']],
    ['Questionnaire?url:above=http://example.org/Questionnaire/intake/sub/part', ['q1']],
    ['Questionnaire?url=http://example.org/Questionnaire', []],
  ])('%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/${q}`)).toEqual(expected);
  });

  it.each([
    ['Observation?subject.name=peters', ['o1']],
    ['Observation?subject:Patient.name=pa', ['o2']],
    ['Observation?patient.organization.name=acme', ['o2']],
    ['Observation?patient.organization.partof.name=acme', ['o1']],
    ['Observation?patient.organization.partof=Organization/org1', ['o1']],
    ['Observation?subject.name=ghost', []],
    ['Patient?_has:Observation:patient:code=1234-5', ['p1']],
    ['Patient?_has:Observation:subject:code=http://loinc.org|9999-9', ['p2']],
    ['Patient?_has:Observation:patient:_has:Provenance:target:agent=Practitioner/dr1', ['p1']],
    ['Organization?_has:Patient:organization:name=peters', ['org2']],
    ['Practitioner?_has:Observation:performer:subject.name=peters', ['dr1']],
  ])('%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/${q}`)).toEqual(expected);
  });

  it.each([
    'Observation?subject=not a reference',
    'Observation?subject:Organization=x',
    'Patient?_has:Observation:code:status=final',
    'Patient?_has:Nope:patient:code=1',
    'Patient?_has:Observation=x',
  ])('400: %s', async (q) => {
    const res = await searchError(t, `/fhir/${q}`);
    {
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('reports a chain through an unknown parameter as ignored', async () => {
    const bundle = await search(t, '/fhir/Observation?a.b.c.d.e.f=x');
    expect(bundle.entry.find((e: any) => e.search.mode === 'outcome').resource.issue[0].diagnostics).toContain('a.b.c.d.e.f');
    expect((await searchError(t, '/fhir/Observation?a.b=x', { Prefer: 'handling=strict' })).status).toBe(400);
  });

  it('caps chain depth', async () => {
    const res = await searchError(t, '/fhir/Observation?patient.organization.partof.partof.partof.partof.name=x');
    expect(res.status).toBe(400);
  });

  it('_include adds referenced resources once, in include mode, and skips a deleted target', async () => {
    const bundle = await search(t, '/fhir/Observation?_include=Observation:subject&_include=Observation:performer');
    const byMode = (mode: string) => bundle.entry.filter((e: any) => e.search.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    expect(byMode('match')).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3', 'Observation/o4', 'Observation/o5']);
    expect(byMode('include')).toEqual(['Patient/p1', 'Patient/p2', 'Practitioner/dr1']);
    expect(bundle.total).toBe(5);
  });

  it('_include=Type:* and :iterate follow references transitively', async () => {
    const star = await search(t, '/fhir/Observation?_id=o1&_include=Observation:*');
    expect(star.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort()).toEqual(['dr1', 'p1']);
    const any = await search(t, '/fhir/Observation?_id=o1&_include=*');
    expect(any.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort()).toEqual(['dr1', 'p1']);
    const iter = await search(t, '/fhir/Observation?_id=o1&_include=Observation:subject&_include:iterate=Patient:organization&_include:iterate=Organization:partof');
    expect(iter.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort()).toEqual(['org1', 'org2', 'p1']);
    const noIter = await search(t, '/fhir/Observation?_id=o1&_include=Observation:subject&_include=Patient:organization');
    expect(noIter.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort()).toEqual(['p1']);
  });

  it('_revinclude adds the resources that refer to the matches', async () => {
    const bundle = await search(t, '/fhir/Patient?_id=p1,p2&_revinclude=Observation:subject&_revinclude:iterate=Provenance:target');
    expect(bundle.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort()).toEqual(['o1', 'o2', 'prov1']);
    expect(bundle.total).toBe(2);
  });

  it('400 for malformed _include', async () => {
    expect((await searchError(t, '/fhir/Observation?_include=subject')).status).toBe(400);
    expect((await searchError(t, '/fhir/Observation?_include=Observation:nope')).status).toBe(400);
  });

  it('compartment search equals the patient parameter', async () => {
    expect(await matchIds(t, '/fhir/Patient/p1/Observation')).toEqual(await matchIds(t, '/fhir/Observation?patient=p1'));
    expect(await matchIds(t, '/fhir/Patient/p1/Observation?code=9999-9')).toEqual([]);
  });

  it('a compartment the server does not support is the client\'s error (400 not-supported), not a 5xx', async () => {
    for (const url of ['/fhir/Group/g1/Observation', '/fhir/Encounter/e1/Observation']) {
      const res = await searchError(t, url);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('not-supported');
      expect(res.body.issue[0].diagnostics).toMatch(/Only the Patient compartment/);
    }
  });
});

describe('a reference written as an absolute URL of this server', () => {
  let t: TestServer;
  const base = 'http://localhost:8080/fhir';
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      { resourceType: 'Patient', id: 'abs', name: [{ family: 'Absolute' }] },
      { resourceType: 'Patient', id: 'rel', name: [{ family: 'Relative' }] },
      { resourceType: 'Observation', id: 'oa', status: 'final', code: { text: 'x' }, subject: { reference: `${base}/Patient/abs` } },
      { resourceType: 'Observation', id: 'or', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/rel' } },
      { resourceType: 'Observation', id: 'ox', status: 'final', code: { text: 'x' }, subject: { reference: 'http://elsewhere.example.org/fhir/Patient/abs' } },
    ]);
  });
  afterAll(() => t.close());

  it('is found as the local resource it names, however the search spells it', async () => {
    expect(await matchIds(t, '/fhir/Observation?subject=Patient/abs')).toEqual(['oa']);
    expect(await matchIds(t, `/fhir/Observation?subject=${encodeURIComponent(`${base}/Patient/abs`)}`)).toEqual(['oa']);
    expect(await matchIds(t, '/fhir/Observation?subject:Patient.family=absolute')).toEqual(['oa']);
    expect(await matchIds(t, '/fhir/Observation?subject=http://elsewhere.example.org/fhir/Patient/abs')).toEqual(['ox']);
  });

  it('puts the resource in the patient compartment and follows it in _include', async () => {
    expect(await matchIds(t, '/fhir/Patient/abs/Observation')).toEqual(['oa']);
    const bundle = await search(t, '/fhir/Observation?_id=oa&_include=Observation:subject');
    expect(bundle.entry.map((e: any) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`).sort()).toEqual(['include:Patient/abs', 'match:Observation/oa']);
  });
});

import { startTestServer, type TestServer } from '../helpers/server';
import { matchIds, search, searchError, seed } from './helpers';

describe('string and token search', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      { resourceType: 'Patient', id: 'p1', name: [{ family: 'Müller', given: ['Jürgen'] }], gender: 'male', active: true,
        identifier: [{ system: 'urn:ins', value: 'A1', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'Medical record' } }],
        telecom: [{ system: 'phone', value: '555-1234' }] },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Mueller', given: ['Anna', 'Maria'] }], gender: 'female', active: false,
        identifier: [{ value: 'A1' }] },
      { resourceType: 'Patient', id: 'p3', name: [{ family: 'MULLERSON', text: 'Zoé Mullerson' }], gender: 'other',
        identifier: [{ system: 'urn:other', value: 'B2' }] },
      { resourceType: 'Patient', id: 'p4', name: [{ family: 'Smith,Jones' }] },
      { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }], text: 'BP sys' }, subject: { reference: 'Patient/p1' } },
      { resourceType: 'Observation', id: 'o2', status: 'final', code: { coding: [{ code: '8480-6' }] }, subject: { reference: 'Patient/p2' } },
      { resourceType: 'Observation', id: 'o3', status: 'amended', code: { coding: [{ system: 'http://snomed.info/sct', code: '8480-6' }] } },
    ]);
  });
  afterAll(() => t.close());

  it.each([
    ['family=muller', ['p1', 'p3']],
    ['family=MÜLLER', ['p1', 'p3']],
    ['family=mue', ['p2']],
    ['family:exact=Müller', ['p1']],
    ['family:exact=müller', []],
    ['family:contains=LLER', ['p1', 'p2', 'p3']],
    ['name=jurg', ['p1']],
    ['name=maria', ['p2']],
    ['name=zoe', ['p3']],
    ['family=smith\\,jones', ['p4']],
    ['family=smith,mue', ['p2', 'p4']],
    ['family=mu&given=anna', ['p2']],
    ['family:missing=true', []],
    ['given:missing=true', ['p3', 'p4']],
    ['given:missing=false', ['p1', 'p2']],
  ])('Patient?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Patient?${q}`)).toEqual(expected);
  });

  it.each([
    ['gender=male', ['p1']],
    ['gender=male,female', ['p1', 'p2']],
    ['gender:not=male', ['p2', 'p3', 'p4']],
    ['gender=http://hl7.org/fhir/administrative-gender|female', ['p2']],
    ['gender=http://example.org/other|female', []],
    ['active=true', ['p1']],
    ['active=false', ['p2']],
    ['identifier=A1', ['p1', 'p2']],
    ['identifier=urn:ins|A1', ['p1']],
    ['identifier=|A1', ['p2']],
    ['identifier=urn:other|', ['p3']],
    ['identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|A1', ['p1']],
    ['identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|B2', []],
    ['identifier:text=medical', ['p1']],
    ['phone=555-1234', ['p1']],
    ['telecom=phone|555-1234', ['p1']],
    ['_id=p1,p3', ['p1', 'p3']],
    ['_id:not=p1,p3', ['p2', 'p4']],
    ['gender:in=http://hl7.org/fhir/ValueSet/administrative-gender', ['p1', 'p2', 'p3']],
    ['gender:not-in=http://hl7.org/fhir/ValueSet/administrative-gender', ['p4']],
  ])('Patient?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Patient?${q}`)).toEqual(expected);
  });

  it.each([
    ['code=8480-6', ['o1', 'o2', 'o3']],
    ['code=http://loinc.org|8480-6', ['o1']],
    ['code=|8480-6', ['o2']],
    ['code=http://snomed.info/sct|', ['o3']],
    ['code:text=systolic', ['o1']],
    ['code:text=bp', ['o1']],
    ['status=final&code=8480-6', ['o1', 'o2']],
    ['status:not=final', ['o3']],
  ])('Observation?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Observation?${q}`)).toEqual(expected);
  });

  it(':in and :not-in expand a ValueSet stored on the server', async () => {
    await seed(t, [
      {
        resourceType: 'ValueSet', id: 'bp', url: 'http://example.org/ValueSet/bp', status: 'active',
        compose: { include: [{ system: 'http://loinc.org', concept: [{ code: '8480-6' }, { code: '8462-4' }] }] },
      },
    ]);
    expect(await matchIds(t, '/fhir/Observation?code:in=http://example.org/ValueSet/bp')).toEqual(['o1']);
    expect(await matchIds(t, '/fhir/Observation?code:not-in=http://example.org/ValueSet/bp')).toEqual(['o2', 'o3']);
  });

  it('reports unknown parameters in an outcome entry, drops them from self, and refuses them under handling=strict', async () => {
    const bundle = await search(t, '/fhir/Patient?famly=x&gender=male');
    expect(bundle.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id)).toEqual(['p1']);
    const outcome = bundle.entry.find((e: any) => e.search.mode === 'outcome').resource;
    expect(outcome.issue[0]).toMatchObject({ severity: 'warning', code: 'not-supported' });
    const self = bundle.link.find((l: any) => l.relation === 'self').url;
    expect(self).toContain('gender=male');
    expect(self).not.toContain('famly');
    const strict = await searchError(t, '/fhir/Patient?famly=x', { Prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
    expect(strict.body.resourceType).toBe('OperationOutcome');
  });

  it.each(['gender:exact=male', 'family:below=x', 'identifier:of-type=a|b', 'gender:in=http://example.org/unknown-vs', 'family:missing=maybe', '_id=a$b'])(
    '400 for %s',
    async (q) => {
      const res = await searchError(t, `/fhir/Patient?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  );

  it('is ReDoS-safe and bounded: regex-looking and 4 kB values finish fast', async () => {
    const started = Date.now();
    expect(await matchIds(t, `/fhir/Patient?name:contains=${encodeURIComponent('(a+)+$')}`)).toEqual([]);
    expect(await matchIds(t, `/fhir/Patient?name=${'a'.repeat(4000)}`)).toEqual([]);
    expect((await searchError(t, `/fhir/Patient?name=${'a'.repeat(5000)}`)).status).toBe(400);
    expect(await matchIds(t, `/fhir/Patient?name:contains=${encodeURIComponent('%_')}`)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('treats bracketed names (qs-style operators) as unknown parameters, never widening', async () => {
    expect(await matchIds(t, '/fhir/Patient?_id%5B%24ne%5D=x&gender=male')).toEqual(['p1']);
    expect((await searchError(t, '/fhir/Patient?name%5B%24regex%5D=.*', { Prefer: 'handling=strict' })).status).toBe(400);
  });
});

import { startTestServer, type TestServer } from '../helpers/server';
import { matchIds, seed } from './helpers';

describe('_tag, _profile, _security, _source and Timing dates', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      { resourceType: 'Patient', id: 'm1', meta: { tag: [{ system: 'urn:tags', code: 'vip' }], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }], source: 'urn:source:a', profile: ['http://example.org/StructureDefinition/p1'] } },
      { resourceType: 'Patient', id: 'm2', meta: { tag: [{ system: 'urn:tags', code: 'test' }], source: 'urn:source:b' } },
      { resourceType: 'Patient', id: 'm3' },
      { resourceType: 'CarePlan', id: 'cp-events', status: 'active', intent: 'plan', subject: { reference: 'Patient/m1' },
        activity: [{ detail: { status: 'scheduled', scheduledTiming: { event: ['2021-03-01T09:00:00Z', '2021-06-01T09:00:00Z'] } } }] },
      { resourceType: 'CarePlan', id: 'cp-bounds', status: 'active', intent: 'plan', subject: { reference: 'Patient/m1' },
        activity: [{ detail: { status: 'scheduled', scheduledTiming: { repeat: { boundsPeriod: { start: '2022-01-01', end: '2022-12-31' }, frequency: 1, period: 1, periodUnit: 'd' } } } }] },
      { resourceType: 'CarePlan', id: 'cp-period', status: 'active', intent: 'plan', subject: { reference: 'Patient/m1' },
        activity: [{ detail: { status: 'scheduled', scheduledPeriod: { start: '2021-05-01' } } }] },
    ]);
  });
  afterAll(() => t.close());

  it.each([
    ['_tag=vip', ['m1']],
    ['_tag=urn:tags|', ['m1', 'm2']],
    ['_tag:not=vip', ['m2', 'm3']],
    ['_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R', ['m1']],
    ['_source=urn:source:b', ['m2']],
    ['_profile=http://example.org/StructureDefinition/p1', ['m1']],
    ['_profile:missing=true', ['m2', 'm3']],
  ])('Patient?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Patient?${q}`)).toEqual(expected);
  });

  it.each([
    // eq: the stored range lies within the searched one (an open Period never does)
    ['activity-date=2021-06', ['cp-events']],
    ['activity-date=2021-03-01', ['cp-events']],
    ['activity-date=2022-07', []],
    ['activity-date=ge2022-07', ['cp-bounds', 'cp-period']],
    ['activity-date=2022', ['cp-bounds']],
    ['activity-date=eb2021-04-01', ['cp-events']],
    ['activity-date=sa2021-12-31', ['cp-bounds']],
  ])('CarePlan?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/CarePlan?${q}`)).toEqual(expected);
  });
});

import { startTestServer, type TestServer } from '../helpers/server';
import { matchIds, searchError, seed } from './helpers';

describe('date, number, quantity and composite search', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await seed(t, [
      { resourceType: 'Patient', id: 'y2019', birthDate: '2019' },
      { resourceType: 'Patient', id: 'm202001', birthDate: '2020-01' },
      { resourceType: 'Patient', id: 'd20200115', birthDate: '2020-01-15' },
      { resourceType: 'Patient', id: 'd20200301', birthDate: '2020-03-01' },
      { resourceType: 'Patient', id: 'd20210101', birthDate: '2021-01-01' },
      // Periods and instants on Encounter.date
      { resourceType: 'Encounter', id: 'e-jan', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-01-10', end: '2020-01-20' } },
      { resourceType: 'Encounter', id: 'e-span', status: 'finished', class: { code: 'AMB' }, period: { start: '2019-12-20', end: '2020-02-10' } },
      { resourceType: 'Encounter', id: 'e-open', status: 'in-progress', class: { code: 'AMB' }, period: { start: '2020-01-25T10:00:00Z' } },
      { resourceType: 'Encounter', id: 'e-late', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-01-31T23:30:00-05:00', end: '2020-02-01T01:00:00-05:00' } },
      // numbers (RiskAssessment.probability) and quantities (Observation.value)
      { resourceType: 'RiskAssessment', id: 'r10', status: 'final', subject: { reference: 'Patient/y2019' }, prediction: [{ probabilityDecimal: 10 }] },
      { resourceType: 'RiskAssessment', id: 'r9-6', status: 'final', subject: { reference: 'Patient/y2019' }, prediction: [{ probabilityDecimal: 9.6 }] },
      { resourceType: 'RiskAssessment', id: 'r10-4', status: 'final', subject: { reference: 'Patient/y2019' }, prediction: [{ probabilityDecimal: 10.4 }] },
      { resourceType: 'RiskAssessment', id: 'r11', status: 'final', subject: { reference: 'Patient/y2019' }, prediction: [{ probabilityDecimal: 11 }] },
      { resourceType: 'Observation', id: 'q-mg', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] }, valueQuantity: { value: 5.4, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } },
      { resourceType: 'Observation', id: 'q-g', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] }, valueQuantity: { value: 0.0054, unit: 'g', system: 'http://unitsofmeasure.org', code: 'g' } },
      { resourceType: 'Observation', id: 'q-free', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] }, valueQuantity: { value: 5.4, unit: 'pills' } },
      { resourceType: 'Observation', id: 'q-bp', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
        component: [
          { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 140, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
          { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 90, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        ] },
    ]);
  });
  afterAll(() => t.close());

  it.each([
    ['birthdate=2020', ['d20200115', 'd20200301', 'm202001']],
    ['birthdate=eq2020-01', ['d20200115', 'm202001']],
    ['birthdate=2020-01-15', ['d20200115']],
    ['birthdate=ne2020-01', ['d20200301', 'd20210101', 'y2019']],
    ['birthdate=gt2020-01', ['d20200301', 'd20210101']],
    ['birthdate=ge2020-01', ['d20200115', 'd20200301', 'd20210101', 'm202001']],
    ['birthdate=lt2020-01-15', ['m202001', 'y2019']],
    ['birthdate=le2020-01-15', ['d20200115', 'm202001', 'y2019']],
    ['birthdate=sa2020-01', ['d20200301', 'd20210101']],
    ['birthdate=eb2020-01-15', ['y2019']],
    ['birthdate=ge2020-01-01&birthdate=lt2020-02-01', ['d20200115', 'm202001']],
    ['birthdate=2019,2021', ['d20210101', 'y2019']],
    // ap widens by 10% of the distance from now (late 2026): about 250 days either side
    ['birthdate=ap2020-01-15', ['d20200115', 'd20200301', 'm202001', 'y2019']],
    ['birthdate:missing=true', []],
  ])('Patient?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Patient?${q}`)).toEqual(expected);
  });

  it.each([
    // e-late starts 2020-01-31T23:30-05:00, which is 2020-02-01T04:30Z
    ['date=2020-01', ['e-jan']],
    ['date=2020-01-15', []],
    ['date=ge2020-01-15', ['e-jan', 'e-late', 'e-open', 'e-span']],
    ['date=gt2020-01-31', ['e-late', 'e-open', 'e-span']],
    ['date=lt2020-01-01', ['e-span']],
    ['date=le2020-01-20', ['e-jan', 'e-span']],
    ['date=sa2020-01-24', ['e-late', 'e-open']],
    ['date=eb2020-01-24', ['e-jan']],
    ['date=eb2020-02-01', ['e-jan']],
    ['date=2020-02-01', ['e-late']],
    ['date=gt2020-02-01T05:30:00Z', ['e-late', 'e-open', 'e-span']],
    ['date=lt2020-02-01T04:30:00Z', ['e-jan', 'e-open', 'e-span']],
    ['date=ne2020-01', ['e-late', 'e-open', 'e-span']],
  ])('Encounter?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Encounter?${q}`)).toEqual(expected);
  });

  it.each([
    ['probability=10', ['r10', 'r10-4', 'r9-6']],
    ['probability=10.0', ['r10']],
    ['probability=1e1', ['r10', 'r10-4', 'r11', 'r9-6']],
    ['probability=gt10', ['r10-4', 'r11']],
    ['probability=ge10', ['r10', 'r10-4', 'r11']],
    ['probability=lt10', ['r9-6']],
    ['probability=le10', ['r10', 'r9-6']],
    ['probability=ne10', ['r11']],
    ['probability=ap10', ['r10', 'r10-4', 'r11', 'r9-6']],
    ['probability=11,9.6', ['r11', 'r9-6']],
  ])('RiskAssessment?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/RiskAssessment?${q}`)).toEqual(expected);
  });

  it.each([
    ['value-quantity=5.4', ['q-free', 'q-mg']],
    ['value-quantity=5.4|http://unitsofmeasure.org|mg', ['q-g', 'q-mg']],
    ['value-quantity=0.0054|http://unitsofmeasure.org|g', ['q-g', 'q-mg']],
    ['value-quantity=5.4||mg', ['q-mg']],
    ['value-quantity=5.4||pills', ['q-free']],
    ['value-quantity=gt5|http://unitsofmeasure.org|mg', ['q-g', 'q-mg']],
    ['value-quantity=lt5|http://unitsofmeasure.org|mg', []],
    ['value-quantity=ap5|http://unitsofmeasure.org|mg', ['q-g', 'q-mg']],
    ['component-value-quantity=gt130', ['q-bp']],
    ['component-code-value-quantity=http://loinc.org|8480-6$gt130', ['q-bp']],
    ['component-code-value-quantity=http://loinc.org|8462-4$gt130', []],
    ['component-code-value-quantity=8462-4$lt100|http://unitsofmeasure.org|mm[Hg]', ['q-bp']],
    ['code-value-quantity=http://loinc.org|2339-0$5.4', ['q-free', 'q-mg']],
  ])('Observation?%s', async (q, expected) => {
    expect(await matchIds(t, `/fhir/Observation?${q.replace(/\[/g, '%5B').replace(/\]/g, '%5D')}`)).toEqual(expected);
  });

  it.each(['birthdate=2020-13-45', 'birthdate=gt', 'birthdate=abc', 'probability=gtx', 'probability=1,,2', 'component-code-value-quantity=8480-6', '_lastUpdated=yesterday'])(
    '400 for %s',
    async (q) => {
      const type = q.startsWith('prob') ? 'RiskAssessment' : q.startsWith('comp') ? 'Observation' : 'Patient';
      const res = await searchError(t, `/fhir/${type}?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  );

  it('_lastUpdated compares with the stored instant', async () => {
    expect(await matchIds(t, '/fhir/Patient?_lastUpdated=gt2000-01-01')).toHaveLength(5);
    expect(await matchIds(t, '/fhir/Patient?_lastUpdated=lt2000-01-01')).toEqual([]);
  });
});

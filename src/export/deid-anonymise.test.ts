import type { Resource } from '../fhir/types';
import { Anonymiser, BIRTH_BAND_URL, removeFreeText, type Release } from './deid-anonymise';
import { pseudonym } from './deid-keys';

const KEY = Buffer.alloc(32, 7);
const AT = '2026-12-02T10:00:00Z';
const patient = {
  resourceType: 'Patient',
  id: 'p1',
  meta: { lastUpdated: '2026-11-03T04:05:06.789Z', source: 'hospital-a' },
  identifier: [{ system: 'urn:oid:1.2.156.112604.1.1.1', value: '11010519731231002X' }],
  name: [{ text: 'Zhang San' }],
  telecom: [{ system: 'phone', value: '13812345678' }],
  gender: 'female',
  birthDate: '1973-06-15',
  maritalStatus: { coding: [{ code: 'M' }], text: 'married' },
  address: [{ line: ['Chaoyang Road 12'], city: 'Beijing', district: '110105', state: 'Beijing', country: 'CN' }],
  deceasedDateTime: '2026-01-01',
  extension: [{ url: 'http://example.org/ethnicity', valueCode: '01' }],
} as unknown as Resource;
const release = (over: Partial<Release> = {}): Release => ({ birthLevel: 0, regionLevel: 0, population: new Set(['p1']), suppressed: new Set(), ...over });
const codes = (r: Resource | null) => (r?.meta?.security ?? []).map((c) => c.code).sort();

describe('Anonymiser.transform', () => {
  const a = new Anonymiser(KEY, AT, 'month');

  it('cuts a Patient down to its quasi-identifiers, at the chosen levels, labelled', () => {
    const out = a.transform(patient, release()) as unknown as Record<string, unknown>;
    expect(out).toEqual({
      resourceType: 'Patient',
      id: pseudonym(KEY, 'Patient', 'p1'),
      meta: { lastUpdated: '2026-11-01T00:00:00Z', security: expect.any(Array) },
      gender: 'female',
      birthDate: '1973',
      address: [{ district: '1101', state: 'Beijing', country: 'CN' }],
      deceasedBoolean: true,
    });
    expect(codes(out as unknown as Resource)).toEqual(['MASKED', 'PSEUDED', 'REDACTED']);
    const coarse = a.transform(patient, release({ birthLevel: 2, regionLevel: 1 })) as unknown as Record<string, unknown>;
    expect(coarse.birthDate).toBeUndefined();
    expect(coarse.extension).toEqual([{ url: BIRTH_BAND_URL, valuePeriod: { start: '1970', end: '1979' } }]);
    expect(coarse.address).toEqual([{ district: '11', state: 'Beijing', country: 'CN' }]);
  });

  it('leaves out every resource of a suppressed person, and of a person never measured', () => {
    const obs = { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'hr' }, subject: { reference: 'Patient/p1' } } as unknown as Resource;
    expect(a.transform(patient, release({ suppressed: new Set(['p1']) }))).toBeNull();
    expect(a.transform(obs, release({ suppressed: new Set(['p1']) }))).toBeNull();
    expect(a.transform(obs, release({ population: new Set(['p2']) }))).toBeNull();
    // a resource about no patient is released, de-identified
    const org = a.transform({ resourceType: 'Organization', id: 'org1', name: 'Hospital A', telecom: [{ value: '010-1234' }] } as unknown as Resource, release());
    expect(org).toMatchObject({ resourceType: 'Organization', id: pseudonym(KEY, 'Organization', 'org1'), name: 'Hospital A' });
    expect(codes(org)).toEqual(['PSEUDED', 'REDACTED']);
  });

  it('cuts dates to the month (or year), and removes free text', () => {
    const obs = {
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }], text: 'pulse of Zhang' },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-02-28T08:00:00+08:00',
      issued: '2026-02-28T09:00:00Z',
      valueString: 'told her neighbour',
    } as unknown as Resource;
    const out = a.transform(obs, release()) as unknown as Record<string, unknown>;
    expect(out).toMatchObject({ effectiveDateTime: '2026-02', issued: '2026-02-01T00:00:00Z', code: { coding: [{ code: '8867-4' }] }, subject: { reference: `Patient/${pseudonym(KEY, 'Patient', 'p1')}` } });
    expect(JSON.stringify(out)).not.toMatch(/Zhang|neighbour/);
    const yearly = new Anonymiser(KEY, AT, 'year').transform(obs, release()) as unknown as Record<string, unknown>;
    expect([yearly.effectiveDateTime, yearly.issued]).toEqual(['2026', '2026-01-01T00:00:00Z']);
  });

  it('shifts one person\'s dates by one offset under the shift policy, keeping intervals', () => {
    const s = new Anonymiser(KEY, AT, 'shift');
    const enc = { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'IMP' }, subject: { reference: 'Patient/p1' }, period: { start: '2026-02-27T20:00:00+08:00', end: '2026-03-03T10:00:00+08:00' } } as unknown as Resource;
    const out = s.transform(enc, release()) as unknown as { period: { start: string; end: string } };
    const days = (x: string, y: string) => (Date.parse(y) - Date.parse(x)) / 86_400_000;
    expect(days(out.period.start, out.period.end)).toBe(days('2026-02-27T20:00:00+08:00', '2026-03-03T10:00:00+08:00'));
    expect(out.period.start).not.toBe('2026-02-27T20:00:00+08:00');
    expect(s.date('2026-02-27T20:00:00+08:00', 'start', 'Patient/p1')).toBe(out.period.start);
  });
});

describe('Anonymiser.personQi', () => {
  it('keys a Patient as its released form will read, at every level', () => {
    const qi = new Anonymiser(KEY, AT, 'month').personQi(patient);
    expect(qi).toEqual({
      id: 'p1',
      birth: ['1973', '1970..1974', '1970..1979'],
      decade: '1970s',
      sex: 'female',
      region: [
        JSON.stringify([['country', 'CN'], ['district', '1101'], ['state', 'Beijing']]),
        JSON.stringify([['country', 'CN'], ['district', '11'], ['state', 'Beijing']]),
        JSON.stringify([['country', 'CN']]),
      ],
    });
  });
});

describe('removeFreeText', () => {
  it('removes coded text and string values, and nothing else', () => {
    expect(removeFreeText({ code: { coding: [{ code: 'x' }], text: 'free' }, valueString: 's', status: 'final' })).toEqual({ resource: { code: { coding: [{ code: 'x' }] }, status: 'final' }, removed: true });
  });
});

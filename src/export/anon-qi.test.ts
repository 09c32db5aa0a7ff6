import { birthKey, decadeOf, diagnosisCategories, diagnosisChapters, primaryChapter, regionKey, releasedAddress, releasedBirth, visitBand } from './anon-qi';

const AT = '2026-12-02T10:00:00Z';

describe('the birth ladder', () => {
  it('releases a year, then a 5-year band, then a 10-year band', () => {
    expect([0, 1, 2].map((l) => releasedBirth('1973-06-15', '1973-06-15', AT, l))).toEqual([
      { birthDate: '1973' },
      { band: { start: '1970', end: '1974' } },
      { band: { start: '1970', end: '1979' } },
    ]);
    expect(releasedBirth('1978-01', '1978-01-02', AT, 1)).toEqual({ band: { start: '1975', end: '1979' } });
    expect(releasedBirth(undefined, undefined, AT, 0)).toBeUndefined();
  });

  it('top-codes a person over 89 at every level', () => {
    expect(releasedBirth('1931-05-01', '1931-05-01', AT, 0)).toEqual({ birthDate: '1936' });
    expect(releasedBirth('1931-05-01', '1931-05-01', AT, 2)).toEqual({ band: { end: '1936' } });
    // 89 until their birthday: not top-coded yet
    expect(releasedBirth('1937-12-20', '1937-12-20', AT, 0)).toEqual({ birthDate: '1937' });
  });

  it('keys and decades as a recipient reads them', () => {
    expect(birthKey({ birthDate: '1973' })).toBe('1973');
    expect(birthKey({ band: { start: '1970', end: '1974' } })).toBe('1970..1974');
    expect(birthKey({ band: { end: '1936' } })).toBe('..1936');
    expect([decadeOf('1973'), decadeOf('1970..1974'), decadeOf('..1936'), decadeOf('')]).toEqual(['1970s', '1970s', '<=1936', 'unknown']);
  });
});

describe('the region ladder', () => {
  const a = { use: 'home', district: '1101', postalCode: '1000', state: 'Beijing', country: 'CN' };
  it('keeps the county, then the province, then the country alone', () => {
    expect(releasedAddress(a, 0)).toEqual(a);
    expect(releasedAddress(a, 1)).toEqual({ use: 'home', district: '11', postalCode: '10', state: 'Beijing', country: 'CN' });
    expect(releasedAddress(a, 2)).toEqual({ use: 'home', country: 'CN' });
  });
  it('keys the place elements whatever their order or use', () => {
    expect(regionKey([{ district: '1101', country: 'CN' }])).toBe(regionKey([{ use: 'work', country: 'CN', district: '1101' }]));
    expect(regionKey([])).toBe('');
  });
});

describe('visits and diagnoses', () => {
  it('bands months with a visit', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 40].map(visitBand)).toEqual(['0', '1', '2-3', '2-3', '4-7', '4-7', '8+', '8+']);
  });
  it('takes the ICD-10 chapter of a Condition and the chapter of most of a person\'s', () => {
    const c = { code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'e11.9' }, { system: 'http://snomed.info/sct', code: '44054006' }] } };
    expect(diagnosisChapters(c)).toEqual(['E']);
    expect(diagnosisCategories(c)).toEqual(['E11']);
    expect(diagnosisCategories({ code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cn', code: 'J06.900' }] } })).toEqual(['J06']);
    expect(primaryChapter({ E: 2, I: 3 })).toBe('I');
    expect(primaryChapter({ J: 1, E: 1 })).toBe('E');
    expect(primaryChapter({})).toBe('-');
  });
});

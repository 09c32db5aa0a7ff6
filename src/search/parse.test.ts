import { loadConfig } from '../config';
import { getRegistry } from '../definitions/registry';
import { FhirError } from '../fhir/errors';
import { LIMITS, parseSearch, type ParseOptions } from './parse';
import type { Predicate } from './plan';

const registry = getRegistry();
const config = loadConfig({ LOG_LEVEL: 'silent' });
const options: ParseOptions = { handling: 'lenient', baseUrl: 'http://h/fhir', now: Date.UTC(2026, 10, 1) };
const parse = (type: string, q: string, o: Partial<ParseOptions> = {}) => parseSearch(registry, [type], [...new URLSearchParams(q)], config, { ...options, ...o });
const status = (fn: () => unknown) => {
  try {
    fn();
    return 200;
  } catch (e) {
    return e instanceof FhirError ? e.status : 500;
  }
};

describe('parseSearch: parameters to a backend-neutral plan', () => {
  it('one AND term per parameter, one OR term per value', () => {
    expect(parse('Patient', 'family=a,b&gender=male').where).toEqual([
      { kind: 'or', any: [{ kind: 'string', code: 'family', match: 'start', value: 'a' }, { kind: 'string', code: 'family', match: 'start', value: 'b' }] },
      { kind: 'token', code: 'gender', value: 'male', broad: true },
    ]);
  });

  it('tokens: code, system|code, |code, system|', () => {
    const w = parse('Observation', 'code=c&code=s|c&code=|c&code=s|').where;
    expect(w).toEqual([
      { kind: 'token', code: 'code', value: 'c' },
      { kind: 'token', code: 'code', system: 's', value: 'c' },
      { kind: 'token', code: 'code', system: null, value: 'c' },
      { kind: 'token', code: 'code', system: 's' },
    ]);
  });

  it('references: bare id with one target, Type/id, own absolute URL, canonical|version', () => {
    expect(parse('Observation', 'patient=1').where).toEqual([{ kind: 'reference', code: 'patient', reference: 'Patient/1' }]);
    expect(parse('Observation', 'subject=1').where[0]).toMatchObject({ kind: 'reference', code: 'subject', targetId: '1' });
    expect(parse('Observation', 'subject=http://h/fhir/Patient/1').where).toEqual([{ kind: 'reference', code: 'subject', reference: 'Patient/1' }]);
    expect(parse('QuestionnaireResponse', 'questionnaire=http://q|2').where).toEqual([{ kind: 'reference', code: 'questionnaire', reference: 'http://q', version: '2' }]);
  });

  it('chains and _has are parsed without access terms: the guarded store adds them', () => {
    expect(parse('Observation', 'patient.name=x').where).toEqual([
      { kind: 'chain', code: 'patient', targetTypes: ['Patient'], where: [{ kind: 'string', code: 'name', match: 'start', value: 'x' }] },
    ]);
    expect(parse('Patient', '_has:Observation:patient:code=1').where).toMatchObject([{ kind: 'has', sourceType: 'Observation', code: 'patient' }]);
  });

  it('result parameters shape the result and are echoed for self, unknown ones are reported', () => {
    const p = parse('Patient', '_count=5&_sort=-birthdate,family&_total=none&_summary=true&_elements=name&_include=Patient:organization&nope=1&_format=json');
    expect(p).toMatchObject({ count: 5, total: 'none', summary: 'true', elements: ['name'], ignored: ['nope'] });
    expect(p.sort).toEqual([
      { code: 'birthdate', type: 'date', descending: true },
      { code: 'family', type: 'string', descending: false },
    ]);
    expect(p.include).toEqual([{ sourceType: 'Patient', code: 'organization', iterate: false }]);
    expect(p.applied.map(([k]) => k)).toEqual(['_sort', '_total', '_summary', '_elements', '_include']);
  });

  it.each([
    ['Patient', 'nope=1'],
    ['Patient', 'family:nope=1'],
  ])('strict handling refuses %s?%s', (type, q) => {
    expect(status(() => parse(type, q, { handling: 'strict' }))).toBe(400);
  });

  it.each([
    ['Patient', 'birthdate=2020-13'],
    ['Patient', 'gender:contains=m'],
    ['Patient', '_count=x'],
    ['Observation', `code=${Array.from({ length: LIMITS.orValues + 1 }, (_, i) => i).join(',')}`],
    ['Observation', 'patient.organization.partof.partof.partof.partof.name=x'],
    ['Observation', 'value-quantity=abc'],
    ['Patient', '_has:Observation:nope:code=1'],
    ['Patient', '_include=Patient'],
  ])('400 for %s?%s', (type, q) => {
    expect(status(() => parse(type, q))).toBe(400);
  });

  it('system search needs parameters common to every type', () => {
    const sys = (q: string) => parseSearch(registry, ['Patient', 'Practitioner'], [...new URLSearchParams(q)], config, { ...options, system: true });
    expect(sys('name=x&_lastUpdated=gt2020').where).toHaveLength(2);
    expect(status(() => sys('gender=male'))).toBe(200); // individual-gender covers both
    expect(status(() => sys('birthdate=2020'))).toBe(400); // Practitioner has none
    expect(status(() => sys('general-practitioner=1'))).toBe(400);
  });
});

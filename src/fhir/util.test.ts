import { assertValidId, ID_PATTERN, ID_RE, isValidId } from './util';

describe('the id pattern (datatypes.html#id)', () => {
  it('accepts 1-64 of [A-Za-z0-9-.] with something besides dots', () => {
    for (const id of ['a', '1', 'A-b.c', '.a', 'a.', '..a', 'a..', '-', '.-.', 'x'.repeat(64), '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']) {
      expect([id, ID_RE.test(id)]).toEqual([id, true]);
    }
  });

  it('refuses ids of dots only, empty, too long or with other characters', () => {
    for (const id of ['.', '..', '...', '.'.repeat(64), '', 'x'.repeat(65), 'a b', 'a/b', 'a_b', 'é', 'a\n']) {
      expect([id, ID_RE.test(id)]).toEqual([id, false]);
    }
  });

  it('composes into larger patterns, refusing dots-only segments there too', () => {
    const ref = new RegExp(`^([A-Z][A-Za-z]+)/(${ID_PATTERN})(?:/_history/(${ID_PATTERN}))?$`);
    expect(ref.exec('Patient/p.1/_history/2')?.slice(1)).toEqual(['Patient', 'p.1', '2']);
    expect(ref.test('Patient/..')).toBe(false);
    expect(ref.test('Patient/./_history/1')).toBe(false);
    expect(ref.test('Patient/a/_history/..')).toBe(false);
  });

  it('assertValidId refuses non-strings with 400', () => {
    expect(isValidId(undefined)).toBe(false);
    expect(isValidId(12)).toBe(false);
    expect(() => assertValidId(undefined)).toThrow(expect.objectContaining({ status: 400, errorCode: 'FHIR-0400-ID' }));
    expect(() => assertValidId('..')).toThrow(expect.objectContaining({ status: 400, errorCode: 'FHIR-0400-ID' }));
    expect(() => assertValidId('ok')).not.toThrow();
  });
});

import { foldString, numberRange, storedNumberRange } from './normalize';
import { dateCondition, parseNumber, splitPrefix, numberCondition } from './prefixes';
import { splitUnescaped, unescapeValue } from './values';
import { ucumBase } from './ucum';

describe('foldString: case- and accent-insensitive', () => {
  it.each([
    ['Müller', 'muller'],
    ['ZOË', 'zoe'],
    ['Ångström', 'angstrom'],
    ['plain ascii', 'plain ascii'],
    ['Ĳssel', 'ĳssel'],
  ])('%s -> %s', (a, b) => expect(foldString(a)).toBe(b));
});

describe('numberRange: implicit precision (search.html#number)', () => {
  it.each([
    ['100', 100, 99.5, 100.5],
    ['100.00', 100, 99.995, 100.005],
    ['1e2', 100, 50, 150],
    ['-2.5', -2.5, -2.55, -2.45],
    ['0.1', 0.1, 0.05, 0.15],
    ['5.4e-1', 0.54, 0.535, 0.545],
  ])('%s', (text, value, low, high) => {
    const r = numberRange(text);
    expect(r?.value).toBeCloseTo(value, 12);
    expect(r?.low).toBeCloseTo(low, 12);
    expect(r?.high).toBeCloseTo(high, 12);
  });
  it.each(['', 'abc', '1.2.3', '1e', '0x10', 'Infinity', 'NaN', ' 1'])('refuses %j', (text) => expect(numberRange(text)).toBeUndefined());
  it('stored numbers take their precision from their shortest text', () => {
    expect(storedNumberRange(5.4)).toEqual({ value: 5.4, low: expect.closeTo(5.35, 12), high: expect.closeTo(5.45, 12) });
  });
});

describe('prefixes', () => {
  it('splits known prefixes only, and only before a value', () => {
    expect(splitPrefix('ge2020')).toEqual(['ge', '2020']);
    expect(splitPrefix('2020')).toEqual(['eq', '2020']);
    expect(splitPrefix('gt')).toEqual(['eq', 'gt']);
    expect(splitPrefix('xx5')).toEqual(['eq', 'xx5']);
  });
  it('parses numbers with prefixes and refuses the rest', () => {
    expect(parseNumber('lt5.4')).toMatchObject({ prefix: 'lt', value: 5.4 });
    expect(() => parseNumber('lt')).toThrow();
    expect(() => parseNumber('five')).toThrow();
  });
  /** Evaluates a condition on a stored range, as an adapter would. */
  const holds = (c: ReturnType<typeof dateCondition>, row: Record<'low' | 'high' | 'value', number>) => {
    const test = ([f, op, v]: [string, string, number]) => {
      const x = row[f as 'low'];
      return op === '<' ? x < v : op === '<=' ? x <= v : op === '>' ? x > v : x >= v;
    };
    return (c.all ?? []).every(test) && c.any.some((all) => all.every(test));
  };
  it.each([
    // stored [low, high) against searched [10, 20)
    ['eq', 12, 15, true],
    ['eq', 5, 15, false],
    ['ne', 5, 15, true],
    ['gt', 12, 25, true],
    ['gt', 12, 18, false],
    ['lt', 5, 15, true],
    ['lt', 10, 15, false],
    ['ge', 12, 15, true],
    ['ge', 5, 15, false],
    ['ge', 15, 25, true],
    ['le', 5, 15, true],
    ['le', 12, 25, false],
    ['sa', 20, 30, true],
    ['sa', 19, 30, false],
    ['eb', 0, 10, true],
    ['eb', 0, 11, false],
  ] as const)('date %s on [%d, %d) is %s', (prefix, low, high, expected) => {
    expect(holds(dateCondition(prefix, 10, 20, 0), { low, high, value: low })).toBe(expected);
  });
  it.each([
    ['eq', 99.6, true],
    ['eq', 100.5, false],
    ['ne', 100.5, true],
    ['gt', 100.1, true],
    ['ge', 100, true],
    ['lt', 99.9, true],
    ['le', 100.1, false],
    ['ap', 109, true],
    ['ap', 111, false],
  ] as const)('number %s 100 against %d is %s', (prefix, value, expected) => {
    expect(holds(numberCondition(prefix, 100, 99.5, 100.5), { value, low: value, high: value })).toBe(expected);
  });
});

describe('escaping (search.html#escaping)', () => {
  it('splits on unescaped separators only and unescapes', () => {
    expect(splitUnescaped('a,b\\,c,d', ',')).toEqual(['a', 'b\\,c', 'd']);
    expect(splitUnescaped('s|c|v', '|', 2)).toEqual(['s', 'c|v']);
    expect(splitUnescaped('a\\$b$c', '$')).toEqual(['a\\$b', 'c']);
    expect(unescapeValue('b\\,c\\|d\\$e\\\\')).toBe('b,c|d$e\\');
  });
});

describe('ucumBase: simple UCUM units to base units', () => {
  it('converts mass, pressure and ratios and refuses special or invalid units', () => {
    expect(ucumBase('mg')).toEqual({ factor: 0.001, unit: 'g' });
    expect(ucumBase('kg')).toEqual({ factor: 1000, unit: 'g' });
    expect(ucumBase('mm[Hg]')?.unit).toBe('g.m-1.s-2');
    expect(ucumBase('Cel')).toBeNull();
    expect(ucumBase('not a unit')).toBeNull();
  });
});

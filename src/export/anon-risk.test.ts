import { choose, lattice, measureAt, type Dimension } from './anon-risk';

type P = { id: string; year: number; region: string; dx: string };
const dims: Dimension<P>[] = [
  { name: 'birth', levels: ['year', '10-year band'], value: (p, l) => (l === 0 ? String(p.year) : `${Math.floor(p.year / 10)}0s`) },
  { name: 'region', levels: ['county', 'province'], value: (p, l) => (l === 0 ? p.region : p.region.slice(0, 2)) },
];
const dx = (p: P) => p.dx;
const people = (n: number, year: number, region: string, dxs: string[], prefix: string): P[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, year, region, dx: dxs[i % dxs.length] }));
const loose = { k: 3, maxAverageRisk: 1, l: 1, maxSuppression: 1 };

describe('measureAt', () => {
  const pop = [...people(4, 1970, '1101', ['E', 'I'], 'a'), ...people(6, 1971, '1101', ['J'], 'b'), ...people(1, 1931, '1102', ['C'], 'c')];

  it('counts classes per person, with k, the prosecutor risks and l of what is released', () => {
    const d = measureAt(pop, dims, [0, 0], dx, loose);
    expect(d.suppressed.map((p) => p.id)).toEqual(['c0']);
    expect(d.measurement).toMatchObject({ persons: 11, released: 10, suppressed: 1, classes: 2, kMin: 4, maxRisk: 0.25, averageRisk: 0.2, lMin: 1 });
    // the release is 2 E, 2 I, 6 J; the 1970 class 2 E, 2 I: (|.5-.2| + |.5-.2| + |0-.6|) / 2 (the all-J class is 0.4 away)
    expect(d.measurement.tMax).toBeCloseTo(0.6, 6);
    expect(d.measurement.suppressionRate).toBeCloseTo(1 / 11, 5);
    expect(d.measurement.failed).toEqual([]);
  });

  it('suppresses classes with fewer than l sensitive values, and says which thresholds fail', () => {
    const d = measureAt(pop, dims, [0, 0], dx, { k: 3, maxAverageRisk: 0.1, l: 2, maxSuppression: 0.5 });
    // the 1971 class all has chapter J: released, anyone known to be in it would have J
    expect(d.suppressed.map((p) => p.id).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'c0']);
    expect(d.measurement.lMin).toBe(2);
    expect(d.measurement).toMatchObject({ suppressed: 7, suppressedBelowK: 1 });
    expect(d.measurement.failed).toEqual(['suppression 63.636364 % exceeds 50 % (1 person in classes below k = 3, 6 persons in classes with fewer than l = 2 sensitive values)', 'average prosecutor risk 0.25 exceeds 0.1']);
  });

  it('reports the information loss of the levels and the benchmarks against the source', () => {
    const d = measureAt(pop, dims, [1, 0], dx, loose, [{ name: 'per decade', source: (p) => `${Math.floor(p.year / 10)}0s`, released: (p) => `${Math.floor(p.year / 10)}0s` }]);
    expect(d.measurement.generalisation).toEqual({ birth: { level: 1, releases: '10-year band', informationLoss: 1 }, region: { level: 0, releases: 'county', informationLoss: 0 } });
    expect(d.measurement.informationLoss).toBe(0.5);
    expect(d.measurement.benchmarks).toEqual([
      { benchmark: 'per decade', category: '1930s', source: 1, released: 0, relativeError: 1 },
      { benchmark: 'per decade', category: '1970s', source: 10, released: 10, relativeError: 0 },
    ]);
    expect(d.measurement.maxRelativeError).toBe(1);
  });

  it('releases nobody from an empty export, and says so', () => {
    expect(measureAt([], dims, [0, 0], dx, loose).measurement.failed).toEqual(['the export holds no person']);
  });
});

describe('the generalisation ladder', () => {
  it('walks the lattice from the finest node to the coarsest', () => {
    expect(lattice([2, 3])).toEqual([[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [1, 2]]);
  });

  it('picks the least generalised release that meets the policy', () => {
    // two years of 5 each: by year both classes hold 5; a unique 1931 person must be generalised or suppressed
    const pop = [...people(5, 1970, '1101', ['E', 'I'], 'a'), ...people(5, 1975, '1101', ['J', 'K'], 'b'), ...people(1, 1972, '1101', ['C'], 'c')];
    const strict = { k: 5, maxAverageRisk: 0.2, l: 2, maxSuppression: 0.05 };
    const d = choose(pop, dims, dx, strict);
    expect(d.met).toBe(true);
    expect(d.levels).toEqual([1, 0]);
    expect(d.suppressed).toEqual([]);
    expect(d.measurement).toMatchObject({ classes: 1, kMin: 11, lMin: 5 });
    // a looser suppression limit keeps the years and suppresses the one person instead
    const d2 = choose(pop, dims, dx, { ...strict, maxSuppression: 0.1 });
    expect(d2.levels).toEqual([0, 0]);
    expect(d2.suppressed.map((p) => p.id)).toEqual(['c0']);
  });

  it('gives the coarsest node and its failures when nothing meets the policy', () => {
    const d = choose(people(4, 1970, '1101', ['E'], 'a'), dims, dx, { k: 5, maxAverageRisk: 1, l: 1, maxSuppression: 0.05 });
    expect(d.met).toBe(false);
    expect(d.levels).toEqual([1, 1]);
    expect(d.measurement.failed).toEqual([
      'no class holds k = 5 persons or more with l = 1 sensitive values or more: nobody can be released',
      'suppression 100 % exceeds 5 % (4 persons in classes below k = 5, 0 persons in classes with fewer than l = 1 sensitive values)',
    ]);
  });
});

/**
 * Re-identification risk of a release, measured per person (one record per Patient, however many
 * resources it has): equivalence classes over the quasi-identifiers, prosecutor risk, distinct
 * l-diversity of a sensitive attribute, suppression and utility. And the search for the least
 * generalised release that meets a policy: every node of the generalisation lattice is measured
 * (it is small: a few levels per quasi-identifier), classes below k or l are suppressed, and of the
 * nodes that then meet every threshold the one losing least information wins. Pure: no FHIR, no store.
 */

/** One quasi-identifier with its generalisation ladder: level 0 the finest, each next level coarser. */
export interface Dimension<P> {
  name: string;
  /** What each level releases (`year`, `5-year band`...). */
  levels: string[];
  /** The person's value as released at a level (the class key part). */
  value(person: P, level: number): string;
}

export interface Thresholds {
  k: number;
  maxAverageRisk: number;
  l: number;
  maxSuppression: number;
}

/** A fixed count to compare between source and release (persons per sex, per birth decade). */
export interface Benchmark<P> {
  name: string;
  source(person: P): string;
  released(person: P, levels: number[]): string;
}

export interface Measurement {
  /** The level chosen per quasi-identifier, by name, with what it releases. */
  generalisation: Record<string, { level: number; releases: string; informationLoss: number }>;
  persons: number;
  released: number;
  suppressed: number;
  /** Of them, in classes smaller than k; the rest in classes with fewer than l sensitive values. */
  suppressedBelowK: number;
  suppressionRate: number;
  classes: number;
  /** The smallest equivalence class released (0 when nobody is). */
  kMin: number;
  /** Prosecutor risk: the highest (1 / kMin) and the average (classes / persons released). */
  maxRisk: number;
  averageRisk: number;
  /** The fewest distinct sensitive values in a released class. */
  lMin: number;
  /**
   * t-closeness, reported, not enforced: the largest distance between a released class's
   * distribution of sensitive values and the whole release's (equal-distance EMD, i.e. half the sum
   * of absolute differences; 0 when every class looks like the release).
   */
  tMax: number;
  /** Mean information loss of the generalisation over the quasi-identifiers (0: none, 1: all removed). */
  informationLoss: number;
  benchmarks: { benchmark: string; category: string; source: number; released: number; relativeError: number }[];
  maxRelativeError: number;
  /** The thresholds not met, in words (empty: the release may go). */
  failed: string[];
}

export interface Decision<P> {
  levels: number[];
  measurement: Measurement;
  /** The persons left out (every resource about them). */
  suppressed: P[];
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Measures one node of the lattice: classes below k or l are suppressed, the rest measured. */
export function measureAt<P>(people: P[], dims: Dimension<P>[], levels: number[], sensitive: (p: P) => string, t: Thresholds, benchmarks: Benchmark<P>[] = []): Decision<P> {
  const classes = new Map<string, P[]>();
  for (const p of people) {
    const key = JSON.stringify(dims.map((d, i) => d.value(p, levels[i])));
    const c = classes.get(key);
    if (c) c.push(p);
    else classes.set(key, [p]);
  }
  const suppressed: P[] = [];
  let belowK = 0;
  let released = 0;
  let kept = 0;
  let kMin = Infinity;
  let lMin = Infinity;
  const releasedSet = new Set<P>();
  const releasedClasses: P[][] = [];
  for (const members of classes.values()) {
    const l = new Set(members.map(sensitive)).size;
    if (members.length < t.k || l < t.l) {
      suppressed.push(...members);
      if (members.length < t.k) belowK += members.length;
      continue;
    }
    kept++;
    releasedClasses.push(members);
    released += members.length;
    kMin = Math.min(kMin, members.length);
    lMin = Math.min(lMin, l);
    for (const m of members) releasedSet.add(m);
  }
  const persons = people.length;
  const suppressionRate = persons ? suppressed.length / persons : 0;
  const averageRisk = released ? kept / released : 1;
  const maxRisk = released ? 1 / kMin : 1;
  const generalisation: Measurement['generalisation'] = {};
  dims.forEach((d, i) => (generalisation[d.name] = { level: levels[i], releases: d.levels[levels[i]], informationLoss: lossOf(d, levels[i]) }));
  const informationLoss = dims.length ? dims.reduce((s, d, i) => s + lossOf(d, levels[i]), 0) / dims.length : 0;
  const rows = benchmarkRows(people, releasedSet, levels, benchmarks);
  const failed: string[] = [];
  if (!released) failed.push(persons ? `no class holds k = ${t.k} persons or more with l = ${t.l} sensitive values or more: nobody can be released` : 'the export holds no person');
  if (suppressionRate > t.maxSuppression) {
    failed.push(`suppression ${pct(suppressionRate)} exceeds ${pct(t.maxSuppression)} (${count(belowK)} in classes below k = ${t.k}, ${count(suppressed.length - belowK)} in classes with fewer than l = ${t.l} sensitive values)`);
  }
  if (released && averageRisk > t.maxAverageRisk) failed.push(`average prosecutor risk ${round(averageRisk)} exceeds ${t.maxAverageRisk}`);
  return {
    levels,
    suppressed,
    measurement: {
      generalisation,
      persons,
      released,
      suppressed: suppressed.length,
      suppressedBelowK: belowK,
      suppressionRate: round(suppressionRate),
      classes: kept,
      kMin: released ? kMin : 0,
      maxRisk: round(maxRisk),
      averageRisk: round(averageRisk),
      lMin: released ? lMin : 0,
      tMax: round(closeness(releasedClasses, sensitive)),
      informationLoss: round(informationLoss),
      benchmarks: rows,
      maxRelativeError: rows.reduce((m, r) => Math.max(m, r.relativeError), 0),
      failed,
    },
  };
}

function closeness<P>(classes: P[][], sensitive: (p: P) => string): number {
  const dist = (members: P[]) => {
    const d = new Map<string, number>();
    for (const m of members) d.set(sensitive(m), (d.get(sensitive(m)) ?? 0) + 1 / members.length);
    return d;
  };
  const whole = dist(classes.flat());
  let t = 0;
  for (const members of classes) {
    const d = dist(members);
    let sum = 0;
    for (const [v, q] of whole) sum += Math.abs((d.get(v) ?? 0) - q);
    t = Math.max(t, sum / 2);
  }
  return t;
}

/** Loss of a level: the share of the ladder climbed (a dimension with one level loses nothing). */
export function lossOf<P>(d: Dimension<P>, level: number): number {
  return d.levels.length > 1 ? level / (d.levels.length - 1) : 0;
}

const pct = (x: number) => `${round(x * 100)} %`;
const count = (n: number) => `${n} ${n === 1 ? 'person' : 'persons'}`;

function benchmarkRows<P>(people: P[], released: Set<P>, levels: number[], benchmarks: Benchmark<P>[]): Measurement['benchmarks'] {
  const rows: Measurement['benchmarks'] = [];
  for (const b of benchmarks) {
    const source = new Map<string, number>();
    const out = new Map<string, number>();
    for (const p of people) {
      const s = b.source(p);
      source.set(s, (source.get(s) ?? 0) + 1);
      if (released.has(p)) {
        const r = b.released(p, levels);
        out.set(r, (out.get(r) ?? 0) + 1);
      }
    }
    for (const category of [...new Set([...source.keys(), ...out.keys()])].sort()) {
      const s = source.get(category) ?? 0;
      const r = out.get(category) ?? 0;
      // a category the source lacks but the release shows (a shifted decade) is all error
      rows.push({ benchmark: b.name, category, source: s, released: r, relativeError: round(s ? Math.abs(r - s) / s : 1) });
    }
  }
  return rows;
}

/** Every node of the lattice, least generalised first. */
export function lattice(sizes: number[]): number[][] {
  let nodes: number[][] = [[]];
  for (const n of sizes) nodes = nodes.flatMap((node) => Array.from({ length: n }, (_, level) => [...node, level]));
  return nodes.sort((a, b) => a.reduce((s, x) => s + x, 0) - b.reduce((s, x) => s + x, 0));
}

/**
 * The release: of the lattice's nodes that meet the thresholds, the one with the least information
 * loss, then the fewest suppressed. When none does, the most generalised node with what it fails.
 * O(persons) per node: a large population is searched on a worker thread (anon-choose.ts).
 */
export function choose<P>(people: P[], dims: Dimension<P>[], sensitive: (p: P) => string, t: Thresholds, benchmarks: Benchmark<P>[] = []): Decision<P> & { met: boolean } {
  let best: Decision<P> | undefined;
  let last: Decision<P> | undefined;
  for (const levels of lattice(dims.map((d) => d.levels.length))) {
    const d = measureAt(people, dims, levels, sensitive, t, benchmarks);
    last = d;
    if (d.measurement.failed.length) continue;
    const better = !best || d.measurement.informationLoss < best.measurement.informationLoss || (d.measurement.informationLoss === best.measurement.informationLoss && d.suppressed.length < best.suppressed.length);
    if (better) best = d;
  }
  if (best) return { ...best, met: true };
  return { ...(last as Decision<P>), met: false };
}

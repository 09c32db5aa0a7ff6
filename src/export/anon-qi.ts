import { ageOn } from './deid-dates';
import type { Benchmark, Dimension } from './anon-risk';

/**
 * The quasi-identifiers of the `anonymised` policy and their generalisation ladders, each value
 * spelled as the released files spell it, so what is measured is what a recipient can match on:
 * birth (year, 5-year band, 10-year band; over 89 top-coded), sex, region (county: 4 digits of the
 * division or postal code; province: 2; none), and the number of months with a visit (banded).
 * The sensitive attribute is the diagnosis chapter (the letter of an ICD-10 code).
 */
export const BIRTH_LEVELS = ['year', '5-year band', '10-year band'];
export const REGION_LEVELS = ['county (4 digits)', 'province (2 digits)', 'none'];
const BAND_WIDTH = [1, 5, 10];

/** A birth as released: a year, or a band of years (no start: that year or earlier, the top code). */
export interface ReleasedBirth {
  birthDate?: string;
  band?: { start?: string; end: string };
}

/**
 * The birth of someone born `birthDate` (after the date policy) at a level; `original` decides the
 * top code: a person over 89 on `at` is given the year of a 90-year-old (level 0) or "that year or
 * earlier" (a band), nothing finer.
 */
export function releasedBirth(birthDate: string | undefined, original: string | undefined, at: string, level: number): ReleasedBirth | undefined {
  if (!birthDate || !/^\d{4}/.test(birthDate)) return undefined;
  const top = Number(at.slice(0, 4)) - 90;
  const topcoded = !!original && ageOn(original, at) > 89;
  if (topcoded) return level === 0 ? { birthDate: String(top) } : { band: { end: String(top) } };
  const year = Number(birthDate.slice(0, 4));
  if (level === 0) return { birthDate: String(year) };
  const start = Math.floor(year / BAND_WIDTH[level]) * BAND_WIDTH[level];
  return { band: { start: String(start), end: String(start + BAND_WIDTH[level] - 1) } };
}

export function birthKey(b: ReleasedBirth | undefined): string {
  if (!b) return '';
  return b.birthDate ?? `${b.band?.start ?? ''}..${b.band?.end}`;
}

/** The decade a released birth lies in, as a recipient would count it (`1930s`, `<=1936`). */
export function decadeOf(key: string): string {
  if (!key) return 'unknown';
  const m = /^(\d{4})?(?:\.\.(\d{4}))?$/.exec(key);
  if (!m) return 'unknown';
  if (!m[1]) return `<=${m[2]}`;
  return `${m[1].slice(0, 3)}0s`;
}

/** What an address (already cut to 4 digits by the pseudonymised policy) keeps at a region level. */
export function releasedAddress(a: Record<string, unknown>, level: number): Record<string, unknown> {
  if (level === 0) return a;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (k === 'use' || k === 'type' || k === 'country') out[k] = v;
    else if (level === 1 && k === 'state') out[k] = v;
    else if (level === 1 && (k === 'district' || k === 'postalCode') && typeof v === 'string') out[k] = v.slice(0, 2);
  }
  return out;
}

/** The region part of a class key: the released addresses' place elements, whatever their order. */
export function regionKey(addresses: Record<string, unknown>[]): string {
  const parts = addresses.map((a) => JSON.stringify(Object.entries(a).filter(([k]) => k !== 'use' && k !== 'type').sort(([x], [y]) => (x < y ? -1 : 1))));
  return [...new Set(parts)].sort().join('|');
}

/** Months with a visit, banded: 0, 1, 2-3, 4-7, 8 or more. */
export function visitBand(months: number): string {
  if (months <= 1) return String(months);
  if (months <= 3) return '2-3';
  return months <= 7 ? '4-7' : '8+';
}

/** The chapter (first letter) of each ICD-10 code a Condition carries. */
export function diagnosisChapters(condition: { code?: { coding?: { system?: string; code?: string }[] } }): string[] {
  return (condition.code?.coding ?? []).filter((c) => /icd-10/i.test(c.system ?? '') && /^[A-Z]/i.test(c.code ?? '')).map((c) => (c.code as string)[0].toUpperCase());
}

/** The ICD-10 categories (the code's first three characters, `E11` of `E11.9`) a Condition carries. */
export function diagnosisCategories(condition: { code?: { coding?: { system?: string; code?: string }[] } }): string[] {
  return (condition.code?.coding ?? []).filter((c) => /icd-10/i.test(c.system ?? '') && /^[A-Z]\d\d/i.test(c.code ?? '')).map((c) => (c.code as string).slice(0, 3).toUpperCase());
}

/** A person's sensitive value: the chapter of most of their diagnoses (ties: the first letter), `-` for none. */
export function primaryChapter(counts: Record<string, number>): string {
  let best = '-';
  for (const [ch, n] of Object.entries(counts)) if (best === '-' || n > counts[best] || (n === counts[best] && ch < best)) best = ch;
  return best;
}

/** One person as the measuring pass keeps them: class key parts per level, nothing else. */
export interface PersonQi {
  id: string;
  /** The birth key at each birth level. */
  birth: string[];
  /** The true decade of birth (a benchmark's source value). */
  decade: string;
  sex: string;
  /** The region key at each region level. */
  region: string[];
  visits: string;
  /** `yes`: one of the person's diagnosis categories is rare in the population. */
  rare: string;
  diagnosis: string;
}

export const DIMENSIONS: Dimension<PersonQi>[] = [
  { name: 'birth', levels: BIRTH_LEVELS, value: (p, l) => p.birth[l] },
  { name: 'sex', levels: ['administrative gender'], value: (p) => p.sex },
  { name: 'region', levels: REGION_LEVELS, value: (p, l) => p.region[l] },
  { name: 'visitMonths', levels: ['months with a visit: 0, 1, 2-3, 4-7, 8+'], value: (p) => p.visits },
  { name: 'rareDiagnosis', levels: ['an ICD-10 category fewer than k persons have: yes or no'], value: (p) => p.rare },
];

export const SENSITIVE = { name: 'diagnosisChapter', value: (p: PersonQi) => p.diagnosis };

export const BENCHMARKS: Benchmark<PersonQi>[] = [
  { name: 'persons per sex', source: (p) => p.sex || 'unknown', released: (p) => p.sex || 'unknown' },
  { name: 'persons per birth decade', source: (p) => p.decade, released: (p, levels) => decadeOf(p.birth[levels[0]]) },
];

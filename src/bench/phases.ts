import fs from 'node:fs';
import path from 'node:path';
import { load, request, type Measure } from './load';
import { firstLines } from './ndjson';

/**
 * A measured phase: its name, the request path (under the FHIR base) of its i-th call, and whether a
 * call follows the Bundle's `next` links to the last page (the whole `$everything`, not its first page).
 */
export type Phase = [name: string, url: (i: number) => string, allPages?: boolean];

/** Whom the phases ask about: insured persons, and those of them with a wearable (about 1,000 resources each at 20 days). */
export interface Subjects {
  patients: string[];
  wearers: string[];
}

const MIN = 'http://insured.example.org/fhir/sid/medical-insurance-number';

/** Read by id and the searches (the same definitions for the normal run and the growth run). */
export function readAndSearchPhases({ patients, wearers }: Subjects): Phase[] {
  const pick = (list: string[], i: number) => list[i % list.length];
  return [
    ['read by id', (i) => `/Patient/${pick(patients, i)}`],
    ['search patient + code', (i) => `/Observation?patient=${pick(wearers, i)}&code=http://loinc.org|8867-4&_count=20`],
    ['search identifier', (i) => `/Patient?identifier=${MIN}|MI-${Math.floor(i % (patients.length / 2))}-0`],
    ['search family name', (i) => `/Patient?family=${['Zhang', 'Wang', 'Li', 'Chen'][i % 4]}&_count=20`],
    ['search date range', (i) => `/Encounter?patient=${pick(patients, i)}&date=ge2026-01-01&date=lt2026-07-01`],
    ['search chained', (i) => `/Observation?patient.identifier=${MIN}|MI-${i % 50}-0&_count=10`],
  ];
}

/** The patient-level operations, over the persons with the most data: `$everything` all pages. */
export function operationPhases({ wearers }: Subjects): Phase[] {
  const pick = (i: number) => wearers[i % wearers.length];
  return [
    ['$everything', (i) => `/Patient/${pick(i)}/$everything?_count=1000`, true],
    ['$insured-profile', (i) => `/Patient/${pick(i)}/$insured-profile`],
  ];
}

export interface PhaseMeasure extends Measure {
  /** Bundle entries per call, for phases that follow every page. */
  entriesPerCall?: number;
  /** With several rounds: each round's figures (the phase's own are their medians). */
  rounds?: Measure[];
}

/**
 * Each phase for `durationMs` from `connections` concurrent loops, one after the other, `rounds` times
 * over (round by round, so slow drift of the machine spreads over all phases); each figure is the
 * median of its rounds. `onPhase` hears of each phase as its last round ends.
 */
export async function runPhases(
  base: string,
  phases: Phase[],
  o: { connections: number; durationMs: number; rounds?: number; headers?: () => Record<string, string> },
  onPhase: (name: string, m: PhaseMeasure) => void = () => {}
): Promise<Record<string, PhaseMeasure>> {
  const rounds: Record<string, Measure[]> = {};
  const entries: Record<string, { calls: number; entries: number }> = {};
  const total = o.rounds ?? 1;
  for (let round = 0; round < total; round++) {
    for (const [name, url, allPages] of phases) {
      const counted = (entries[name] ??= { calls: 0, entries: 0 });
      const headers = o.headers ?? (() => ({}));
      const work = allPages ? (i: number) => everyPage(`${base}${url(i)}`, counted, headers) : async (i: number) => (await request(`${base}${url(i)}`, 'GET', undefined, headers())).status === 200;
      (rounds[name] ??= []).push(await load(work, o.connections, o.durationMs));
      if (round === total - 1) onPhase(name, summary(rounds[name], counted));
    }
  }
  return Object.fromEntries(phases.map(([name]) => [name, summary(rounds[name], entries[name])]));
}

/** Follows a searchset's `next` links to the end; true when every page answered 200. */
async function everyPage(url: string, counted: { calls: number; entries: number }, headers: () => Record<string, string>): Promise<boolean> {
  let entries = 0;
  for (let next: string | undefined = url; next; ) {
    const res = await request(next, 'GET', undefined, headers());
    if (res.status !== 200) return false;
    const page = JSON.parse(res.text) as { entry?: unknown[]; link?: { relation: string; url: string }[] };
    entries += page.entry?.length ?? 0;
    next = page.link?.find((l) => l.relation === 'next')?.url;
  }
  counted.calls++;
  counted.entries += entries;
  return true;
}

/** A measurement taken `rounds` times in a row: the medians, with each round's figures. */
export async function repeated(rounds: number, measure: () => Promise<Measure>): Promise<PhaseMeasure> {
  const list: Measure[] = [];
  for (let r = 0; r < rounds; r++) list.push(await measure());
  return summary(list, { calls: 0, entries: 0 });
}

export function summary(list: Measure[], counted: { calls: number; entries: number }): PhaseMeasure {
  const median = (pick: (m: Measure) => number) => {
    const xs = list.map(pick).sort((a, b) => a - b);
    return xs.length % 2 ? xs[(xs.length - 1) / 2] : Number(((xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2).toFixed(2));
  };
  const m: PhaseMeasure =
    list.length === 1
      ? { ...list[0] }
      : { requests: median((x) => x.requests), errors: median((x) => x.errors), seconds: median((x) => x.seconds), perSecond: Math.round(median((x) => x.perSecond)), p50: median((x) => x.p50), p95: median((x) => x.p95), p99: median((x) => x.p99), rounds: list };
  if (counted.calls) m.entriesPerCall = Math.round(counted.entries / counted.calls);
  return m;
}

/** The phases' subjects from a population's NDJSON: its first `limit` patients, and the wearers among its first `limit` devices. */
export function phaseSubjects(ndjsonDir: string, limit = 1000): Subjects {
  const records = <T>(type: string): T[] => {
    const file = path.join(ndjsonDir, `${type}.ndjson`);
    return fs.existsSync(file) ? firstLines(file, limit).map((l) => JSON.parse(l) as T) : [];
  };
  const patients = records<{ id: string }>('Patient').map((p) => p.id);
  const devices = records<{ deviceName?: { name: string }[]; patient?: { reference: string } }>('Device');
  const wearers = devices.filter((d) => d.deviceName?.[0]?.name === 'Wearable' && d.patient).map((d) => (d.patient as { reference: string }).reference.replace('Patient/', ''));
  return { patients, wearers: wearers.length ? wearers : patients };
}

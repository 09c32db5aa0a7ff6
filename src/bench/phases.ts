import fs from 'node:fs';
import readline from 'node:readline';
import { load, request, type Measure } from './load';

/** A measured phase: its name and the request path (under the FHIR base) of its i-th call. */
export type Phase = [name: string, url: (i: number) => string];

const MIN = 'http://insured.example.org/fhir/sid/medical-insurance-number';

/** Read by id and the searches, over the given patients (the same definitions for the normal run and the growth run). */
export function readAndSearchPhases(ids: string[]): Phase[] {
  const pick = (i: number) => ids[i % ids.length];
  return [
    ['read by id', (i) => `/Patient/${pick(i)}`],
    ['search patient + code', (i) => `/Observation?patient=${pick(i)}&code=http://loinc.org|8867-4&_count=20`],
    ['search identifier', (i) => `/Patient?identifier=${MIN}|MI-${Math.floor(i % (ids.length / 2))}-0`],
    ['search family name', (i) => `/Patient?family=${['Zhang', 'Wang', 'Li', 'Chen'][i % 4]}&_count=20`],
    ['search date range', (i) => `/Encounter?patient=${pick(i)}&date=ge2026-01-01&date=lt2026-07-01`],
    ['search chained', (i) => `/Observation?patient.identifier=${MIN}|MI-${i % 50}-0&_count=10`],
  ];
}

/** The patient-level operations. */
export function operationPhases(ids: string[]): Phase[] {
  const pick = (i: number) => ids[i % ids.length];
  return [
    ['$everything', (i) => `/Patient/${pick(i)}/$everything?_count=1000`],
    ['$insured-profile', (i) => `/Patient/${pick(i)}/$insured-profile`],
  ];
}

/** Each phase for `durationMs` from `connections` concurrent loops, one after the other; `onPhase` hears of each as it ends. */
export async function runPhases(base: string, phases: Phase[], o: { connections: number; durationMs: number }, onPhase: (name: string, m: Measure) => void = () => {}): Promise<Record<string, Measure>> {
  const results: Record<string, Measure> = {};
  for (const [name, url] of phases) {
    results[name] = await load(async (i) => (await request(`${base}${url(i)}`)).status === 200, o.connections, o.durationMs);
    onPhase(name, results[name]);
  }
  return results;
}

/** The ids of the first `limit` resources of an NDJSON file, read as a stream. */
export async function ndjsonIds(file: string, limit = Infinity): Promise<string[]> {
  const ids: string[] = [];
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (ids.length >= limit) break;
    if (line.trim()) ids.push((JSON.parse(line) as { id: string }).id);
  }
  lines.close();
  return ids;
}

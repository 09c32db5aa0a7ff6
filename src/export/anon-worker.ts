import { parentPort, workerData } from 'node:worker_threads';
import { BENCHMARKS, DIMENSIONS, SENSITIVE } from './anon-qi';
import { choose } from './anon-risk';
import type { ChooseRequest, ChooseResult } from './anon-choose';

/** The risk search of one anonymised job, on its own thread (anon-choose.ts): one request, one answer. */
const { population, policy } = workerData as ChooseRequest;
try {
  const d = choose(population, DIMENSIONS, SENSITIVE.value, policy, BENCHMARKS);
  parentPort?.postMessage({ levels: d.levels, met: d.met, measurement: d.measurement, suppressed: d.suppressed.map((p) => p.id) } satisfies ChooseResult);
} catch (err) {
  parentPort?.postMessage({ error: String((err as Error)?.stack ?? err) });
}

import path from 'node:path';
import type { AnonymisedPolicy } from '../config';
import { spawnWorker } from '../workers/spawn';
import type { PersonQi } from './anon-qi';
import type { Measurement } from './anon-risk';

export interface ChooseRequest {
  population: PersonQi[];
  policy: AnonymisedPolicy;
}

export interface ChooseResult {
  levels: number[];
  met: boolean;
  measurement: Measurement;
  /** Ids of the persons suppressed. */
  suppressed: string[];
}

/**
 * The lattice search of anon-risk.ts over a measured population, on a worker thread of its own
 * (DESIGN.md decision 13): it is O(persons) per node, seconds for a large export, and the worker's
 * event loop serves requests meanwhile. The thread ends with its answer.
 */
export function chooseOffThread(request: ChooseRequest): Promise<ChooseResult> {
  return new Promise((resolve, reject) => {
    const worker = spawnWorker(path.join(__dirname, `anon-worker${path.extname(__filename)}`), request);
    let settled = false;
    worker.once('message', (m: ChooseResult | { error: string }) => {
      settled = true;
      void worker.terminate();
      if ('error' in m) reject(new Error(`anonymised risk worker: ${m.error}`));
      else resolve(m);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`anonymised risk worker exited (${code}) without an answer`));
    });
  });
}

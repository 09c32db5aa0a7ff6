import type { Config } from '../config';
import type { Resource } from '../fhir/types';
import { Anonymiser, type Release } from './deid-anonymise';
import { recipientKey, serverSecret } from './deid-keys';
import { pseudonymise } from './deid-pseudonymise';
import type { DeidMode } from './request';
import type { RunnerDeps } from './runner';

/** Which `_deid` policies can be honoured. */
export function deidSupported(mode: DeidMode): boolean {
  return mode === 'pseudonymised' || mode === 'anonymised';
}

/** The anonymised policy's transform and measurements for one recipient, at the export's transaction time `at`. */
export function deidAnonymiser(recipient: string, config: Pick<Config, 'dataDir' | 'export'>, at: string): Anonymiser {
  return new Anonymiser(recipientKey(serverSecret(config.dataDir), recipient), at, config.export.anonymised.dates);
}

/**
 * De-identification of exported resources (`_deid`) for one recipient, the client that started the
 * job; `at` is the export's transaction time (ages are banded against it). The anonymised policy
 * needs the `release` its measuring pass decided.
 */
export function deidTransform(mode: DeidMode, recipient: string, config: Pick<Config, 'dataDir' | 'export'>, at: string, release?: Release): (r: Resource) => Resource | null {
  if (mode === 'anonymised') {
    if (!release) throw new Error('_deid=anonymised needs the release its measuring pass decided');
    const anonymiser = deidAnonymiser(recipient, config, at);
    return (r) => anonymiser.transform(r, release);
  }
  if (!deidSupported(mode)) throw new Error(`_deid=${mode} is not supported`);
  const key = recipientKey(serverSecret(config.dataDir), recipient);
  return (r) => pseudonymise(r, key, at);
}

/**
 * What a runner needs to de-identify the jobs that ask for it, for the server's workers and the
 * command line alike: the recipient is the job's owner, so its keys are that client's.
 */
export function deidRunner(config: Pick<Config, 'dataDir' | 'export'>): Pick<RunnerDeps, 'transform' | 'anonymiser'> {
  return {
    transform: (req, job, release) => (req.deid ? deidTransform(req.deid, job.owner, config, req.transactionTime, release) : undefined),
    anonymiser: (req, job) => deidAnonymiser(job.owner, config, req.transactionTime),
  };
}

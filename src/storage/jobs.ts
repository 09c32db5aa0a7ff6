/**
 * The job table (DESIGN.md decision 12): long work (bulk export) lives as rows in the store, so a
 * restarted server finds it again and a worker on any process can pick it up. Kept apart from the
 * resource port (port.ts): jobs are not FHIR resources, have no versions and no index rows. Both
 * adapters implement it (sqlite/jobs.ts, mongo/jobs.ts); test/storage/job-contract.ts holds them to it.
 */

/** queued -> running -> completed | failed; cancelled while running (the worker then removes it). */
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  /** What kind of work, e.g. 'export'; a worker claims only its own kind. */
  kind: string;
  /** Whose job it is: the client id of the token that started it (or a system context's name). */
  owner: string;
  state: JobState;
  /** What was asked, as JSON of the kind's own shape (never changes). */
  request: string;
  /** Where the work is, as JSON of the kind's own shape (cursors, files, counts). */
  progress: string;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
  /** The worker holding the job and until when; past it another worker may claim the job. */
  leaseOwner?: string;
  leaseUntil?: number;
  /** How often a worker claimed the job (a crash loop ends in failure, not in a stuck job). */
  attempts: number;
  /** When the job and its results may be removed. */
  expiresAt?: number;
  /** The OperationOutcome (JSON) of a failed job. */
  error?: string;
}

export type NewJob = Pick<JobRecord, 'id' | 'kind' | 'owner' | 'request' | 'progress'> & { now: number };

export type JobChange = Partial<Pick<JobRecord, 'state' | 'progress' | 'leaseUntil' | 'expiresAt' | 'error'>>;

export interface JobStore {
  create(job: NewJob): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Takes the oldest queued job of the kind, or a running one whose lease ran out (its worker died),
   * for `worker` until now + leaseMs; counts the attempt. Undefined when there is none.
   */
  claim(kind: string, worker: string, now: number, leaseMs: number): Promise<JobRecord | undefined>;
  /**
   * Changes a job; with `leasedBy`, only while that worker still holds it and it is running (false:
   * the lease was lost or the job was cancelled, and the worker must stop).
   */
  update(id: string, change: JobChange, now: number, leasedBy?: string): Promise<boolean>;
  /** Jobs of a kind, optionally of one owner and in some states, oldest first. */
  list(filter: { kind: string; owner?: string; states?: JobState[] }): Promise<JobRecord[]>;
  delete(id: string): Promise<boolean>;
}

/** A store that also keeps jobs (both adapters). */
export interface JobStoreProvider {
  jobs(): JobStore;
}

export function hasJobs(store: object): store is JobStoreProvider {
  return typeof (store as Partial<JobStoreProvider>).jobs === 'function';
}

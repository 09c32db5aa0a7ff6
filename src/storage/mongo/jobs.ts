import type { JobChange, JobRecord, JobState, JobStore, NewJob } from '../jobs';
import type { DocCollection } from './collections';
import type { MongoDocument } from './documents';

/** One job, as a document of the `jobs` collection. */
export type JobDoc = Omit<JobRecord, 'id'> & { _id: string };

/** The part of a driver collection the job store uses (the stand-in implements it too). */
export type JobCollection = Pick<DocCollection<JobDoc>, 'findOne' | 'find' | 'insertOne' | 'updateOne' | 'findOneAndUpdate' | 'createIndexes'> & {
  deleteOne(filter: MongoDocument): Promise<{ deletedCount?: number }>;
};

export const JOB_INDEXES = [{ key: { kind: 1, state: 1, createdAt: 1 } as Record<string, 1 | -1>, name: 'kind_state_created' }];

/**
 * The job table as the `jobs` collection. Each change is one single-document update, atomic on its
 * own; a claim is one findOneAndUpdate, so two processes never take the same job. Calls run through
 * the store's queue (`serial`), outside its write transactions.
 */
export class MongoJobStore implements JobStore {
  private ready: Promise<unknown> | undefined;

  constructor(
    private readonly jobs: JobCollection,
    private readonly serial: <T>(fn: () => Promise<T>) => Promise<T>
  ) {}

  private run<T>(fn: () => Promise<T>): Promise<T> {
    this.ready ??= this.jobs.createIndexes(JOB_INDEXES);
    return this.serial(async () => {
      await this.ready;
      return fn();
    });
  }

  create(job: NewJob): Promise<JobRecord> {
    return this.run(async () => {
      const doc: JobDoc = { _id: job.id, kind: job.kind, owner: job.owner, state: 'queued', request: job.request, progress: job.progress, createdAt: job.now, updatedAt: job.now, attempts: 0 };
      await this.jobs.insertOne(doc);
      return toRecord(doc);
    });
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.run(async () => {
      const doc = await this.jobs.findOne({ _id: id });
      return doc ? toRecord(doc) : undefined;
    });
  }

  claim(kind: string, worker: string, now: number, leaseMs: number): Promise<JobRecord | undefined> {
    return this.run(async () => {
      const claimable = { kind, $or: [{ state: 'queued' }, { state: 'running', $or: [{ leaseUntil: { $lt: now } }, { leaseUntil: { $exists: false } }] }] };
      // the oldest first; the update's own filter repeats the condition, so a job taken meanwhile is not taken twice
      const [oldest] = await this.jobs.find(claimable, { sort: { createdAt: 1, _id: 1 }, limit: 1, projection: { _id: 1 } }).toArray();
      if (!oldest) return undefined;
      const doc = await this.jobs.findOneAndUpdate(
        { ...claimable, _id: oldest._id },
        { $set: { state: 'running', leaseOwner: worker, leaseUntil: now + leaseMs, updatedAt: now }, $inc: { attempts: 1 } },
        { returnDocument: 'after' }
      );
      return doc ? toRecord(doc) : undefined;
    });
  }

  update(id: string, change: JobChange, now: number, leasedBy?: string): Promise<boolean> {
    return this.run(async () => {
      const set: MongoDocument = { updatedAt: now };
      const unset: MongoDocument = {};
      for (const [k, v] of Object.entries(change)) {
        if (v === undefined) unset[k] = '';
        else set[k] = v;
      }
      const filter: MongoDocument = leasedBy !== undefined ? { _id: id, state: 'running', leaseOwner: leasedBy } : { _id: id };
      const res = await this.jobs.updateOne(filter, Object.keys(unset).length ? { $set: set, $unset: unset } : { $set: set });
      return res.matchedCount === 1;
    });
  }

  list(filter: { kind: string; owner?: string; states?: JobState[] }): Promise<JobRecord[]> {
    return this.run(async () => {
      const q: MongoDocument = { kind: filter.kind };
      if (filter.owner !== undefined) q.owner = filter.owner;
      if (filter.states) q.state = { $in: filter.states };
      return (await this.jobs.find(q, { sort: { createdAt: 1, _id: 1 } }).toArray()).map(toRecord);
    });
  }

  delete(id: string): Promise<boolean> {
    return this.run(async () => ((await this.jobs.deleteOne({ _id: id })).deletedCount ?? 0) === 1);
  }
}

function toRecord(doc: JobDoc): JobRecord {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { JobChange, JobRecord, JobState, JobStore, NewJob } from '../jobs';

export const JOB_SCHEMA = `
CREATE TABLE IF NOT EXISTS job (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  progress TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER,
  error TEXT
);
CREATE INDEX IF NOT EXISTS job_kind_state ON job (kind, state, created_at);
`;

interface JobRow {
  id: string;
  kind: string;
  owner: string;
  state: JobState;
  request: string;
  progress: string;
  created_at: number;
  updated_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  expires_at: number | null;
  error: string | null;
}

const COLUMNS: Record<keyof JobChange, string> = { state: 'state', progress: 'progress', leaseUntil: 'lease_until', expiresAt: 'expires_at', error: 'error' };

/**
 * The job table in fhir.sqlite, on the store's writer connection. Every statement runs through the
 * store's write queue (`serial`), so a job change never lands inside another scope's open transaction.
 */
export class SqliteJobStore implements JobStore {
  constructor(
    private readonly db: DatabaseSync,
    private readonly serial: <T>(fn: () => Promise<T>) => Promise<T>
  ) {
    db.exec(JOB_SCHEMA);
  }

  create(job: NewJob): Promise<JobRecord> {
    return this.serial(async () => {
      this.db
        .prepare('INSERT INTO job (id, kind, owner, state, request, progress, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(job.id, job.kind, job.owner, 'queued', job.request, job.progress, job.now, job.now);
      return this.row(job.id) as JobRecord;
    });
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.serial(async () => this.row(id));
  }

  claim(kind: string, worker: string, now: number, leaseMs: number): Promise<JobRecord | undefined> {
    return this.serial(async () => {
      const found = this.db
        .prepare(
          `SELECT id FROM job WHERE kind = ? AND (state = 'queued' OR (state = 'running' AND coalesce(lease_until, 0) < ?)) ORDER BY created_at, id LIMIT 1`
        )
        .get(kind, now) as { id: string } | undefined;
      if (!found) return undefined;
      this.db
        .prepare(`UPDATE job SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`)
        .run(worker, now + leaseMs, now, found.id);
      return this.row(found.id);
    });
  }

  update(id: string, change: JobChange, now: number, leasedBy?: string): Promise<boolean> {
    return this.serial(async () => {
      const sets = ['updated_at = :now'];
      const params: Record<string, SQLInputValue> = { id, now };
      for (const [key, column] of Object.entries(COLUMNS) as [keyof JobChange, string][]) {
        if (!(key in change)) continue;
        sets.push(`${column} = :${key}`);
        params[key] = change[key] ?? null;
      }
      let where = 'id = :id';
      if (leasedBy !== undefined) {
        where += ` AND state = 'running' AND lease_owner = :worker`;
        params.worker = leasedBy;
      }
      return Number(this.db.prepare(`UPDATE job SET ${sets.join(', ')} WHERE ${where}`).run(params).changes) === 1;
    });
  }

  list(filter: { kind: string; owner?: string; states?: JobState[] }): Promise<JobRecord[]> {
    return this.serial(async () => {
      const clauses = ['kind = ?'];
      const params: SQLInputValue[] = [filter.kind];
      if (filter.owner !== undefined) {
        clauses.push('owner = ?');
        params.push(filter.owner);
      }
      if (filter.states) {
        clauses.push(`state IN (${filter.states.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...filter.states);
      }
      const rows = this.db.prepare(`SELECT * FROM job WHERE ${clauses.join(' AND ')} ORDER BY created_at, id`).all(...params) as unknown as JobRow[];
      return rows.map(toRecord);
    });
  }

  delete(id: string): Promise<boolean> {
    return this.serial(async () => Number(this.db.prepare('DELETE FROM job WHERE id = ?').run(id).changes) === 1);
  }

  private row(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM job WHERE id = ?').get(id) as JobRow | undefined;
    return row && toRecord(row);
  }
}

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    owner: r.owner,
    state: r.state,
    request: r.request,
    progress: r.progress,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.lease_owner !== null ? { leaseOwner: r.lease_owner } : {}),
    ...(r.lease_until !== null ? { leaseUntil: r.lease_until } : {}),
    attempts: r.attempts,
    ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

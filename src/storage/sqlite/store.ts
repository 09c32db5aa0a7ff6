import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SearchPlan } from '../../search/plan';
import {
  VersionConflictError,
  type HistoryQuery,
  type ReindexItem,
  type SearchPage,
  type Store,
  type StoreSession,
  type VersionRecord,
  type WriteOp,
} from '../port';
import { QueuedStore } from '../base';
import type { JobStore, JobStoreProvider } from '../jobs';
import { SqliteJobStore } from './jobs';
import { cursorKey, newCursorKey } from '../cursor';
import { explainSearch, runSearch } from './search';
import { clearReindexRequired, IndexMaintenance, migrateIndexTables, reindexRequired } from './index-maintenance';
import { IndexTables } from './index-tables';
import { INDEX_TABLES, NOT_IN_TRAIL, SCHEMA, SCHEMA_VERSION, schemaWithout } from './schema';
import { createPrivateFile, makePrivateDir } from '../private-files';

export interface SqliteStoreOptions {
  /** Directory holding the database file; created when missing. */
  dataDir: string;
  /** FULL (default) syncs every commit to disk; NORMAL survives a process crash but maybe not a power cut. */
  synchronous?: 'FULL' | 'NORMAL';
  /** The database file's name in dataDir (default fhir.sqlite; the audit trail has its own). */
  file?: string;
  /**
   * The audit trail's file, written by one thread in large appends: without the indexes it never
   * uses (NOT_IN_TRAIL), with a 64 MiB page cache instead of 2 MiB and a WAL checkpointed every
   * 10,000 pages instead of 1,000 (measured: about a third less CPU per appended event).
   */
  trail?: boolean;
}

interface VersionRow {
  sv: number;
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  deleted: number;
  method: string;
  json: string | null;
}

function toRecord(row: VersionRow): VersionRecord {
  return {
    resourceType: row.resource_type,
    id: row.id,
    versionId: String(row.version_id),
    lastUpdated: row.last_updated,
    storeVersion: row.sv,
    deleted: row.deleted === 1,
    method: row.method as VersionRecord['method'],
    ...(row.json !== null ? { json: row.json } : {}),
  };
}

const VERSION_COLUMNS = 'v.sv, v.resource_type, v.id, v.version_id, v.last_updated, v.deleted, v.method, v.json';

/** Reads over one connection: the reader outside transactions, the writer inside them. */
class SqliteSession implements StoreSession {
  private readonly stmts: {
    current: StatementSync;
    version: StatementSync;
    pointer: StatementSync;
    insertVersion: StatementSync;
    insertPointer: StatementSync;
    updatePointer: StatementSync;
    clearCompartments: StatementSync;
    insertCompartment: StatementSync;
  };
  private readonly index: IndexTables | undefined;

  constructor(
    private readonly db: DatabaseSync,
    writable: boolean,
    private readonly cursorKey: Buffer
  ) {
    this.stmts = {
      current: db.prepare(
        `SELECT ${VERSION_COLUMNS} FROM resource r JOIN resource_version v ON v.sv = r.sv WHERE r.resource_type = ? AND r.id = ?`
      ),
      version: db.prepare(`SELECT ${VERSION_COLUMNS} FROM resource_version v WHERE v.resource_type = ? AND v.id = ? AND v.version_id = ?`),
      pointer: db.prepare('SELECT r.rid, v.version_id, r.deleted FROM resource r JOIN resource_version v ON v.sv = r.sv WHERE r.resource_type = ? AND r.id = ?'),
      insertVersion: db.prepare(
        'INSERT INTO resource_version (resource_type, id, version_id, last_updated, deleted, method, json) VALUES (?, ?, ?, ?, ?, ?, ?)'
      ),
      insertPointer: db.prepare('INSERT INTO resource (resource_type, id, sv, deleted) VALUES (?, ?, ?, ?)'),
      updatePointer: db.prepare('UPDATE resource SET sv = ?, deleted = ? WHERE rid = ?'),
      clearCompartments: db.prepare('DELETE FROM resource_compartment WHERE rid = ?'),
      insertCompartment: db.prepare('INSERT OR IGNORE INTO resource_compartment (compartment, rid) VALUES (?, ?)'),
    };
    this.index = writable ? new IndexTables(db) : undefined;
  }

  async readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined> {
    const row = this.stmts.current.get(resourceType, id) as VersionRow | undefined;
    return row && toRecord(row);
  }

  async readVersion(resourceType: string, id: string, versionId: string): Promise<VersionRecord | undefined> {
    if (!/^\d{1,15}$/.test(versionId)) return undefined;
    const row = this.stmts.version.get(resourceType, id, Number(versionId)) as VersionRow | undefined;
    return row && toRecord(row);
  }

  async history(query: HistoryQuery): Promise<VersionRecord[]> {
    const { sql, params } = historyWhere(query);
    const rows = this.db
      .prepare(`SELECT ${VERSION_COLUMNS} FROM resource_version v WHERE ${sql} ORDER BY v.sv DESC LIMIT ?`)
      .all(...params, query.count) as unknown as VersionRow[];
    return rows.map(toRecord);
  }

  async historyCount(query: Omit<HistoryQuery, 'count' | 'beforeStoreVersion'>): Promise<number> {
    const { sql, params } = historyWhere(query);
    const row = this.db.prepare(`SELECT count(*) AS n FROM resource_version v WHERE ${sql}`).get(...params) as { n: number };
    return row.n;
  }

  async search(plan: SearchPlan): Promise<SearchPage> {
    return runSearch(this.db, plan, toRecord, VERSION_COLUMNS, this.cursorKey);
  }

  /** EXPLAIN QUERY PLAN of a plan's first page (for tests that check index use). */
  explain(plan: SearchPlan): string[] {
    return explainSearch(this.db, plan, VERSION_COLUMNS);
  }

  async write(ops: WriteOp[]): Promise<VersionRecord[]> {
    if (!this.index) throw new Error('write outside a transaction');
    const out: VersionRecord[] = [];
    for (const op of ops) {
      const current = this.stmts.pointer.get(op.resourceType, op.id) as
        | { rid: number; version_id: number; deleted: number }
        | undefined;
      const expected = op.expectedVersionId;
      const matches =
        expected === null ? !current || current.deleted === 1 : !!current && String(current.version_id) === expected;
      if (!matches) throw new VersionConflictError(op.resourceType, op.id);
      const versionId = Number(op.versionId);
      const sv = Number(
        this.stmts.insertVersion.run(op.resourceType, op.id, versionId, op.lastUpdated, op.deleted ? 1 : 0, op.method, op.json ?? null)
          .lastInsertRowid
      );
      let rid: number;
      if (current) {
        rid = current.rid;
        this.stmts.updatePointer.run(sv, op.deleted ? 1 : 0, rid);
      } else {
        rid = Number(this.stmts.insertPointer.run(op.resourceType, op.id, sv, op.deleted ? 1 : 0).lastInsertRowid);
      }
      // a new pointer has no index rows or compartments to clear yet (pointer rows are deleted only by
      // purge, with their index rows and compartments)
      if (current) this.stmts.clearCompartments.run(rid);
      this.index.replace(rid, op.resourceType, op.deleted ? [] : op.index, !current);
      if (!op.deleted) for (const c of op.compartments) this.stmts.insertCompartment.run(c, rid);
      out.push({
        resourceType: op.resourceType,
        id: op.id,
        versionId: op.versionId,
        lastUpdated: op.lastUpdated,
        storeVersion: sv,
        deleted: op.deleted,
        method: op.method,
        ...(op.json !== undefined ? { json: op.json } : {}),
      });
    }
    return out;
  }

  async purge(resourceType: string, through: number): Promise<number> {
    if (!this.index) throw new Error('purge outside a transaction');
    const gone = 'SELECT rid FROM resource WHERE resource_type = ? AND sv <= ?';
    for (const table of [...INDEX_TABLES, 'resource_compartment']) this.db.prepare(`DELETE FROM ${table} WHERE rid IN (${gone})`).run(resourceType, through);
    this.db.prepare('DELETE FROM resource WHERE resource_type = ? AND sv <= ?').run(resourceType, through);
    return Number(this.db.prepare('DELETE FROM resource_version WHERE resource_type = ? AND sv <= ?').run(resourceType, through).changes);
  }
}

function historyWhere(q: Omit<HistoryQuery, 'count'> & { beforeStoreVersion?: number }): { sql: string; params: (string | number)[] } {
  const clauses: string[] = ['1'];
  const params: (string | number)[] = [];
  if (q.resourceType) {
    clauses.push('v.resource_type = ?');
    params.push(q.resourceType);
    if (q.id) {
      clauses.push('v.id = ?');
      params.push(q.id);
    }
  }
  if (q.since) {
    clauses.push('v.last_updated >= ?');
    params.push(q.since);
  }
  if (q.at) {
    // the versions current at `at`: written at or before it and not superseded by then
    clauses.push(
      'v.last_updated <= ? AND NOT EXISTS (SELECT 1 FROM resource_version n WHERE n.resource_type = v.resource_type AND n.id = v.id AND n.version_id > v.version_id AND n.last_updated <= ?)'
    );
    params.push(q.at, q.at);
  }
  if (q.beforeStoreVersion !== undefined) {
    clauses.push('v.sv < ?');
    params.push(q.beforeStoreVersion);
  }
  if (q.maxStoreVersion !== undefined) {
    clauses.push('v.sv <= ?');
    params.push(q.maxStoreVersion);
  }
  return { sql: clauses.join(' AND '), params };
}

/** The embedded default store: one SQLite file under DATA_DIR in WAL mode (DESIGN.md decision 3). */
export class SqliteStore extends QueuedStore implements Store, JobStoreProvider {
  readonly kind = 'sqlite';
  private readonly writer: DatabaseSync;
  private readonly reader: DatabaseSync;
  protected readonly readSession: SqliteSession;
  private readonly writeSession: SqliteSession;
  private maintenance: IndexMaintenance | undefined;
  private jobStore: SqliteJobStore | undefined;

  constructor(options: SqliteStoreOptions) {
    super();
    makePrivateDir(options.dataDir);
    const file = path.join(options.dataDir, options.file ?? 'fhir.sqlite');
    createPrivateFile(file);
    this.writer = new DatabaseSync(file);
    this.writer.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? 'FULL'}; PRAGMA busy_timeout = 5000;`);
    if (options.trail) {
      this.writer.exec('PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 10000;');
      this.writer.exec(schemaWithout(NOT_IN_TRAIL));
    } else {
      this.writer.exec(SCHEMA);
    }
    migrateIndexTables(this.writer);
    // a trail made before (or migrated to the full schema just now) loses them too
    if (options.trail) for (const index of NOT_IN_TRAIL) this.writer.exec(`DROP INDEX IF EXISTS ${index}`);
    this.writer.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    // the key that signs paging cursors: made by the first process to open the file, read by every other
    this.writer.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('cursor_key', ?)").run(newCursorKey());
    const key = cursorKey((this.writer.prepare("SELECT value FROM meta WHERE key = 'cursor_key'").get() as { value: string }).value);
    this.reader = new DatabaseSync(file, { readOnly: true });
    this.reader.exec('PRAGMA busy_timeout = 5000; PRAGMA query_only = 1;');
    this.readSession = new SqliteSession(this.reader, false, key);
    this.writeSession = new SqliteSession(this.writer, true, key);
  }

  /** The job table (storage/jobs.ts) in the same file, its statements in the write queue. */
  jobs(): JobStore {
    return (this.jobStore ??= new SqliteJobStore(this.writer, (fn) => this.enqueue(fn)));
  }

  explain(plan: SearchPlan): string[] {
    return this.readSession.explain(plan);
  }

  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.writeSession);
        this.writer.exec('COMMIT');
        return result;
      } catch (err) {
        this.writer.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** Replaces the index rows of current versions (reindex); runs in the write queue. */
  replaceIndex(items: ReindexItem[]): Promise<number> {
    return this.transaction(async () => {
      this.maintenance ??= new IndexMaintenance(this.writer);
      return this.maintenance.replace(items);
    });
  }

  /** Whether an index-table migration left the index empty until a reindex runs; `done` clears the mark. */
  reindexRequired(done = false): Promise<boolean> {
    return this.transaction(async () => {
      if (done) clearReindexRequired(this.writer);
      return reindexRequired(this.writer);
    });
  }

  async currentStoreVersion(): Promise<number> {
    const row = this.reader.prepare('SELECT coalesce(max(sv), 0) AS sv FROM resource_version').get() as { sv: number };
    return row.sv;
  }

  async ping(): Promise<void> {
    this.reader.prepare('SELECT 1').get();
  }

  /**
   * Caps the database at its current size plus `extraPages` pages (PRAGMA max_page_count), or lifts
   * the cap (undefined): writes past it fail with SQLITE_FULL, exactly as on a full disk. Tests use
   * it to fill the audit trail's disk without filling the machine's.
   */
  limitPages(extraPages: number | undefined): void {
    const { page_count: used } = this.writer.prepare('PRAGMA page_count').get() as { page_count: number };
    this.writer.exec(`PRAGMA max_page_count = ${extraPages === undefined ? 4294967294 : used + Math.max(0, Math.floor(extraPages))}`);
  }

  async close(): Promise<void> {
    if (!(await this.drain())) return;
    this.reader.close();
    this.writer.close();
  }
}

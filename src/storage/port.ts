import type { IndexRow } from '../search/index-rows';
import type { SearchPlan } from '../search/plan';

/**
 * The storage port (DESIGN.md decision 2): every adapter (SQLite, MongoDB) implements exactly this.
 * It knows nothing of SQL or MongoDB, nor of FHIR semantics beyond versions and index rows:
 * index values are extracted in the core and handed over ready to store; searches arrive as a
 * backend-neutral plan.
 */

/** One immutable version of one resource. */
export interface VersionRecord {
  resourceType: string;
  id: string;
  /** Per-resource version, 1, 2, 3... (as a string, as FHIR's meta.versionId). */
  versionId: string;
  /** ISO-8601 instant with milliseconds, UTC. */
  lastUpdated: string;
  /** Global, strictly increasing sequence of all writes (DESIGN.md decision 4). */
  storeVersion: number;
  /** True for the tombstone a delete appends. */
  deleted: boolean;
  /** The interaction that produced the version, for history bundles. */
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The resource's JSON text exactly as stored (absent for tombstones). */
  json?: string;
}

/** One version to append. */
export interface WriteOp {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
  method: VersionRecord['method'];
  json?: string;
  /** Search-index rows of the new current version (empty for a tombstone). */
  index: IndexRow[];
  /** Compartments the resource belongs to, as 'Patient/123' (for sharding and compartment queries). */
  compartments: string[];
  /**
   * Optimistic concurrency: the current versionId the writer based its change on, or null when it
   * expects the resource not to exist yet (or to be deleted). The adapter throws a
   * `VersionConflictError` when the store disagrees, and the whole write set is rolled back.
   */
  expectedVersionId: string | null;
}

export class VersionConflictError extends Error {
  constructor(
    readonly resourceType: string,
    readonly id: string
  ) {
    super(`Version conflict on ${resourceType}/${id}`);
    this.name = 'VersionConflictError';
  }
}

/** New index rows for the current version of one resource (from a reindex). */
export interface ReindexItem {
  resourceType: string;
  id: string;
  /** The version the rows were extracted from; a resource changed since is left alone. */
  versionId: string;
  index: IndexRow[];
  compartments: string[];
}

export interface HistoryQuery {
  /** Absent: system-level history. */
  resourceType?: string;
  /** With resourceType: instance history. */
  id?: string;
  /** Only versions with lastUpdated >= since (ISO instant). */
  since?: string;
  /** Only versions that were current at this instant: lastUpdated <= at, latest per resource. */
  at?: string;
  /** Only versions with storeVersion < before (paging cursor; newest first). */
  beforeStoreVersion?: number;
  /** Only versions with storeVersion <= this (snapshot pin for consistent paging). */
  maxStoreVersion?: number;
  count: number;
}

/** Reads that work both outside and inside a transaction. */
export interface StoreReader {
  /** The current version (possibly a tombstone), or undefined if the resource never existed. */
  readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined>;
  readVersion(resourceType: string, id: string, versionId: string): Promise<VersionRecord | undefined>;
  /** Newest first. */
  history(query: HistoryQuery): Promise<VersionRecord[]>;
  historyCount(query: Omit<HistoryQuery, 'count' | 'beforeStoreVersion'>): Promise<number>;
  search(plan: SearchPlan): Promise<SearchPage>;
}

export interface SearchPage {
  records: VersionRecord[];
  /** Present when `total` was asked for. */
  total?: number;
  /** Present when more matches follow; pass back as `after`. */
  next?: string;
  /** Present when matches come before this page; pass back as `after` to read them. */
  previous?: string;
}

/** Thrown by an adapter for an `after` position it did not produce (the core answers 400). */
export class InvalidCursorError extends Error {
  constructor() {
    super('Invalid paging cursor');
    this.name = 'InvalidCursorError';
  }
}

export interface StoreSession extends StoreReader {
  /** Appends the versions atomically with their index rows; returns them with their store versions. */
  write(ops: WriteOp[]): Promise<VersionRecord[]>;
  /**
   * Removes for good the versions of `resourceType` with storeVersion <= `through`, and the resources
   * whose current version is among them, with their index rows; returns how many versions went.
   * Versions are otherwise immutable: only the audit trail's retention (audit/prune.ts) calls this.
   */
  purge(resourceType: string, through: number): Promise<number>;
}

/** Maintenance after SearchParameters change (reindex), on every adapter. */
export interface IndexMaintenance {
  /** Replaces the index rows of current versions; returns how many were replaced (others changed meanwhile). */
  replaceIndex(items: ReindexItem[]): Promise<number>;
  /** Whether the index tables need a full reindex; `done` clears the flag after one ran. */
  reindexRequired(done?: boolean): Promise<boolean>;
}

export interface Store extends StoreReader, IndexMaintenance {
  readonly kind: string;
  /**
   * Runs `fn` in one atomic scope: all its writes commit together or not at all, and its reads see
   * its own writes. Scopes that write are serialised where the backend requires it.
   */
  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T>;
  /** The highest store version committed so far. */
  currentStoreVersion(): Promise<number>;
  /** Liveness check of the backend. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

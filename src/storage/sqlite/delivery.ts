import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { emptyState, type DeliveryEvent, type DeliveryProgress, type DeliveryState, type DeliveryStore, type NewDeliveryEvent } from '../delivery-port';
import { createPrivateFile, makePrivateDir } from '../private-files';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS delivery_cursor (name TEXT PRIMARY KEY, sv INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS delivery_event (
  subscription TEXT NOT NULL, event_number INTEGER NOT NULL, topic TEXT NOT NULL, sv INTEGER NOT NULL,
  resource_type TEXT NOT NULL, id TEXT NOT NULL, version_id TEXT NOT NULL, timestamp TEXT NOT NULL, method TEXT NOT NULL,
  PRIMARY KEY (subscription, event_number)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delivery_state (
  subscription TEXT PRIMARY KEY, event_count INTEGER NOT NULL DEFAULT 0, delivered_through INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0, failing_since INTEGER, next_attempt_at INTEGER, last_error TEXT, last_sent_at INTEGER
) STRICT;
`;

const PROGRESS_COLUMNS: Record<keyof DeliveryProgress, string> = {
  deliveredThrough: 'delivered_through',
  attempts: 'attempts',
  failingSince: 'failing_since',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  lastSentAt: 'last_sent_at',
};

interface StateRow {
  subscription: string;
  event_count: number;
  delivered_through: number;
  attempts: number;
  failing_since: number | null;
  next_attempt_at: number | null;
  last_error: string | null;
  last_sent_at: number | null;
}

function toState(r: StateRow): DeliveryState {
  return {
    subscription: r.subscription,
    eventCount: r.event_count,
    deliveredThrough: r.delivered_through,
    attempts: r.attempts,
    ...(r.failing_since !== null ? { failingSince: r.failing_since } : {}),
    ...(r.next_attempt_at !== null ? { nextAttemptAt: r.next_attempt_at } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    ...(r.last_sent_at !== null ? { lastSentAt: r.last_sent_at } : {}),
  };
}

/**
 * The embedded adapter of the delivery port: its own file beside the FHIR store
 * (DATA_DIR/subscriptions.sqlite, WAL, synchronous FULL), so that delivery bookkeeping never waits for
 * nor holds up the resource writer. Every method runs to completion without yielding, so a
 * transaction here never spans an await.
 */
export class SqliteDeliveryStore implements DeliveryStore {
  private readonly db: DatabaseSync;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'subscriptions.sqlite');
    makePrivateDir(dataDir);
    createPrivateFile(file);
    this.db = new DatabaseSync(file);
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
  }

  async matchedThrough(): Promise<number> {
    return (this.db.prepare("SELECT sv FROM delivery_cursor WHERE name = 'matcher'").get() as { sv: number } | undefined)?.sv ?? 0;
  }

  async record(events: NewDeliveryEvent[], through: number): Promise<DeliveryEvent[]> {
    const out: DeliveryEvent[] = [];
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const bump = this.db.prepare(
        'INSERT INTO delivery_state (subscription, event_count) VALUES (?, 1) ON CONFLICT (subscription) DO UPDATE SET event_count = event_count + 1 RETURNING event_count'
      );
      const insert = this.db.prepare(
        'INSERT INTO delivery_event (subscription, event_number, topic, sv, resource_type, id, version_id, timestamp, method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
      );
      for (const e of events) {
        const n = (bump.get(e.subscription) as { event_count: number }).event_count;
        insert.run(e.subscription, n, e.topic, e.storeVersion, e.resourceType, e.id, e.versionId, e.timestamp, e.method);
        out.push({ ...e, eventNumber: n });
      }
      this.db.prepare("INSERT INTO delivery_cursor (name, sv) VALUES ('matcher', ?) ON CONFLICT (name) DO UPDATE SET sv = max(sv, excluded.sv)").run(through);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    return out;
  }

  async events(subscription: string, after: number, until: number, limit: number): Promise<DeliveryEvent[]> {
    const rows = this.db
      .prepare(
        'SELECT * FROM delivery_event WHERE subscription = ? AND event_number > ? AND event_number <= ? ORDER BY event_number LIMIT ?'
      )
      .all(subscription, after, until, limit) as Record<string, string | number>[];
    return rows.map((r) => ({
      subscription: r.subscription as string,
      eventNumber: r.event_number as number,
      topic: r.topic as string,
      storeVersion: r.sv as number,
      resourceType: r.resource_type as string,
      id: r.id as string,
      versionId: r.version_id as string,
      timestamp: r.timestamp as string,
      method: r.method as DeliveryEvent['method'],
    }));
  }

  async state(subscription: string): Promise<DeliveryState> {
    const row = this.db.prepare('SELECT * FROM delivery_state WHERE subscription = ?').get(subscription) as StateRow | undefined;
    return row ? toState(row) : emptyState(subscription);
  }

  async states(): Promise<DeliveryState[]> {
    return (this.db.prepare('SELECT * FROM delivery_state ORDER BY subscription').all() as unknown as StateRow[]).map(toState);
  }

  async progress(subscription: string, change: DeliveryProgress): Promise<void> {
    const keys = (Object.keys(change) as (keyof DeliveryProgress)[]).filter((k) => k in PROGRESS_COLUMNS);
    this.db.prepare('INSERT OR IGNORE INTO delivery_state (subscription) VALUES (?)').run(subscription);
    if (keys.length === 0) return;
    const set = keys.map((k) => `${PROGRESS_COLUMNS[k]} = ?`).join(', ');
    this.db.prepare(`UPDATE delivery_state SET ${set} WHERE subscription = ?`).run(...keys.map((k) => change[k] ?? null), subscription);
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

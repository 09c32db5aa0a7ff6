import type { DatabaseSync } from 'node:sqlite';
import type { ReindexItem } from '../port';
import { IndexTables } from './index-tables';
import { INDEX_TABLES, SCHEMA, SCHEMA_VERSION } from './schema';

/**
 * Index maintenance outside the write path: replacing the rows of current versions when the
 * SearchParameters changed, and rebuilding the index tables when their layout changed. The caller
 * runs it inside the store's write scope.
 */
export class IndexMaintenance {
  private readonly tables: IndexTables;
  private readonly pointer;
  private readonly clearCompartments;
  private readonly insertCompartment;

  constructor(private readonly db: DatabaseSync) {
    this.tables = new IndexTables(db);
    this.pointer = db.prepare(
      'SELECT r.rid, v.version_id FROM resource r JOIN resource_version v ON v.sv = r.sv WHERE r.resource_type = ? AND r.id = ? AND r.deleted = 0'
    );
    this.clearCompartments = db.prepare('DELETE FROM resource_compartment WHERE rid = ?');
    this.insertCompartment = db.prepare('INSERT OR IGNORE INTO resource_compartment (compartment, rid) VALUES (?, ?)');
  }

  /** Replaces the rows of each item whose current version is still the one extracted; returns how many. */
  replace(items: ReindexItem[]): number {
    let n = 0;
    for (const item of items) {
      const current = this.pointer.get(item.resourceType, item.id) as { rid: number; version_id: number } | undefined;
      if (!current || String(current.version_id) !== item.versionId) continue;
      this.tables.replace(current.rid, item.resourceType, item.index);
      this.clearCompartments.run(current.rid);
      for (const c of item.compartments) this.insertCompartment.run(c, current.rid);
      n++;
    }
    return n;
  }
}

/**
 * Brings a database written by an older schema up to date: index tables whose layout changed are
 * dropped and recreated empty, and the store records that a reindex is required to fill them.
 */
export function migrateIndexTables(db: DatabaseSync): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  if (!row || Number(row.value) >= SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const t of INDEX_TABLES) db.exec(`DROP TABLE IF EXISTS ${t}`);
    db.exec('DROP INDEX IF EXISTS resource_live'); // now also covers sv

    db.exec(SCHEMA);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('reindex_required', '1')").run();
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

export function reindexRequired(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM meta WHERE key = 'reindex_required'").get() !== undefined;
}

export function clearReindexRequired(db: DatabaseSync): void {
  db.prepare("DELETE FROM meta WHERE key = 'reindex_required'").run();
}

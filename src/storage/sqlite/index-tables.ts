import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { IndexRow } from '../../search/index-rows';
import { INDEX_TABLES } from './schema';

/** Writes and clears the index rows of one current resource (keyed by its rid). */
export class IndexTables {
  private readonly insert: Record<IndexRow['type'], StatementSync>;
  private readonly clear: StatementSync[];

  constructor(db: DatabaseSync) {
    this.insert = {
      string: db.prepare('INSERT INTO idx_string (rid, resource_type, code, value, exact) VALUES (?, ?, ?, ?, ?)'),
      token: db.prepare('INSERT INTO idx_token (rid, resource_type, code, system, value, text) VALUES (?, ?, ?, ?, ?, ?)'),
      reference: db.prepare(
        'INSERT INTO idx_reference (rid, resource_type, code, reference, target_type, target_id, version) VALUES (?, ?, ?, ?, ?, ?, ?)'
      ),
      date: db.prepare('INSERT INTO idx_date (rid, resource_type, code, low, high) VALUES (?, ?, ?, ?, ?)'),
      number: db.prepare('INSERT INTO idx_number (rid, resource_type, code, value, low, high) VALUES (?, ?, ?, ?, ?, ?)'),
      quantity: db.prepare(
        'INSERT INTO idx_quantity (rid, resource_type, code, value, low, high, system, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
      ),
      uri: db.prepare('INSERT INTO idx_uri (rid, resource_type, code, value) VALUES (?, ?, ?, ?)'),
      composite: db.prepare(
        'INSERT INTO idx_composite (rid, resource_type, code, system1, value1, system2, value2, num2, low2, high2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ),
    };
    this.clear = INDEX_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE rid = ?`));
  }

  /** `fresh`: the rid was just allocated, so there is nothing to clear. */
  replace(rid: number, resourceType: string, rows: IndexRow[], fresh = false): void {
    if (!fresh) for (const stmt of this.clear) stmt.run(rid);
    for (const row of rows) {
      switch (row.type) {
        case 'string':
          this.insert.string.run(rid, resourceType, row.code, row.value, row.exact);
          break;
        case 'token':
          this.insert.token.run(rid, resourceType, row.code, row.system, row.value, row.text);
          break;
        case 'reference':
          this.insert.reference.run(rid, resourceType, row.code, row.reference, row.targetType, row.targetId, row.version);
          break;
        case 'date':
          this.insert.date.run(rid, resourceType, row.code, row.low, row.high);
          break;
        case 'number':
          this.insert.number.run(rid, resourceType, row.code, row.value, row.low, row.high);
          break;
        case 'quantity':
          this.insert.quantity.run(rid, resourceType, row.code, row.value, row.low, row.high, row.system, row.unit);
          break;
        case 'uri':
          this.insert.uri.run(rid, resourceType, row.code, row.value);
          break;
        case 'composite':
          this.insert.composite.run(rid, resourceType, row.code, row.system1, row.value1, row.system2, row.value2, row.num2, row.low2, row.high2);
          break;
      }
    }
  }
}

/**
 * The embedded store's schema: one table of immutable versions (JSON kept as text so reads send it
 * without re-serialising), one of current pointers, and index tables per search-parameter type
 * keyed by the current pointer's integer rowid, with composite B-tree indexes shaped for the
 * planner's queries.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS resource_version (
  sv INTEGER PRIMARY KEY,
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  method TEXT NOT NULL,
  json TEXT
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS resource_version_key ON resource_version (resource_type, id, version_id);
CREATE INDEX IF NOT EXISTS resource_version_type ON resource_version (resource_type, sv);
CREATE INDEX IF NOT EXISTS resource_version_updated ON resource_version (last_updated);

CREATE TABLE IF NOT EXISTS resource (
  rid INTEGER PRIMARY KEY,
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  sv INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  UNIQUE (resource_type, id)
) STRICT;
CREATE INDEX IF NOT EXISTS resource_live ON resource (resource_type, deleted, rid, sv);
CREATE INDEX IF NOT EXISTS resource_live_sv ON resource (resource_type, deleted, sv);

CREATE TABLE IF NOT EXISTS resource_compartment (
  compartment TEXT NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (compartment, rid)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_compartment_rid ON resource_compartment (rid);

CREATE TABLE IF NOT EXISTS idx_string (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, value TEXT NOT NULL, exact TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idx_string_q ON idx_string (resource_type, code, value, rid);
CREATE INDEX IF NOT EXISTS idx_string_exact ON idx_string (resource_type, code, exact, rid);
CREATE INDEX IF NOT EXISTS idx_string_rid ON idx_string (rid, code, value);

CREATE TABLE IF NOT EXISTS idx_token (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, system TEXT, value TEXT, text TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS idx_token_q ON idx_token (resource_type, code, value, system, rid);
CREATE INDEX IF NOT EXISTS idx_token_system ON idx_token (resource_type, code, system, rid);
CREATE INDEX IF NOT EXISTS idx_token_text ON idx_token (resource_type, code, text, rid) WHERE text IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_token_rid ON idx_token (rid, code, value);

CREATE TABLE IF NOT EXISTS idx_reference (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, reference TEXT NOT NULL,
  target_type TEXT, target_id TEXT, version TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS idx_reference_q ON idx_reference (resource_type, code, reference, rid);
CREATE INDEX IF NOT EXISTS idx_reference_id ON idx_reference (resource_type, code, target_id, rid);
CREATE INDEX IF NOT EXISTS idx_reference_target ON idx_reference (reference, resource_type, code);
CREATE INDEX IF NOT EXISTS idx_reference_rid ON idx_reference (rid, code, reference);

CREATE TABLE IF NOT EXISTS idx_date (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, low REAL NOT NULL, high REAL NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idx_date_low ON idx_date (resource_type, code, low, high, rid);
CREATE INDEX IF NOT EXISTS idx_date_high ON idx_date (resource_type, code, high, low, rid);
CREATE INDEX IF NOT EXISTS idx_date_rid ON idx_date (rid, code, low, high);

CREATE TABLE IF NOT EXISTS idx_number (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idx_number_q ON idx_number (resource_type, code, value, rid);
CREATE INDEX IF NOT EXISTS idx_number_rid ON idx_number (rid, code, value);

CREATE TABLE IF NOT EXISTS idx_quantity (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
  system TEXT, unit TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS idx_quantity_q ON idx_quantity (resource_type, code, value, rid);
CREATE INDEX IF NOT EXISTS idx_quantity_rid ON idx_quantity (rid, code, value);

CREATE TABLE IF NOT EXISTS idx_uri (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, value TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idx_uri_q ON idx_uri (resource_type, code, value, rid);
CREATE INDEX IF NOT EXISTS idx_uri_rid ON idx_uri (rid, code, value);

CREATE TABLE IF NOT EXISTS idx_composite (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, code TEXT NOT NULL, system1 TEXT, value1 TEXT,
  system2 TEXT, value2 TEXT, num2 REAL, low2 REAL, high2 REAL
) STRICT;
CREATE INDEX IF NOT EXISTS idx_composite_q ON idx_composite (resource_type, code, value1, system1, rid);
CREATE INDEX IF NOT EXISTS idx_composite_rid ON idx_composite (rid, code);

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
`;

/**
 * Indexes the audit trail's file goes without: it is append-only and searched by value (patient,
 * agent, entity, date, type, subtype, outcome), never by a token's system or display alone, a
 * string's exact form or who references an event, so these only cost it B-tree inserts (about a
 * fifth of its write time). Queries of those shapes still answer, by scanning.
 */
export const NOT_IN_TRAIL = ['idx_token_system', 'idx_token_text', 'idx_reference_target', 'idx_string_exact'];

/** The schema without the named indexes (their CREATE INDEX statements left out). */
export function schemaWithout(indexes: readonly string[]): string {
  return SCHEMA.split(';')
    .filter((statement) => !indexes.some((name) => new RegExp(`CREATE INDEX IF NOT EXISTS ${name} `).test(statement)))
    .join(';');
}

export const INDEX_TABLES = ['idx_string', 'idx_token', 'idx_reference', 'idx_date', 'idx_number', 'idx_quantity', 'idx_uri', 'idx_composite'];

/** The index table holding the rows of each IndexRow type. */
export const TABLE_OF = {
  string: 'idx_string',
  token: 'idx_token',
  reference: 'idx_reference',
  date: 'idx_date',
  number: 'idx_number',
  quantity: 'idx_quantity',
  uri: 'idx_uri',
  composite: 'idx_composite',
} as const;

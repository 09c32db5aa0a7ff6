import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { redirectUrisProblem } from './redirect-uri';
import { createPrivateFile, makePrivateDir } from '../storage/private-files';

export type ClientType = 'public' | 'confidential-symmetric' | 'confidential-asymmetric';

/** A registered client application. */
export interface ClientRecord {
  id: string;
  name: string;
  type: ClientType;
  /** scrypt hash of the secret (confidential symmetric clients). */
  secretHash?: string;
  redirectUris: string[];
  /** The scopes the client may be granted at most. */
  scope: string;
  /** Public keys (confidential asymmetric clients): a JWKS by value or its URL. */
  jwks?: { keys: Record<string, unknown>[] };
  jwksUrl?: string;
  /** Origins browser apps of this client call from (CORS on the token endpoint and the FHIR API). */
  origins?: string[];
}

/** A user who logs in at the authorization endpoint, linked to a FHIR resource (fhirUser). */
export interface UserRecord {
  username: string;
  passwordHash: string;
  fhirUser: string;
  /** An administrator: user/ scopes reach every record, not only the patients the user is related to. */
  administrator?: boolean;
}

/** What an authorization code or refresh token stands for. */
export interface GrantRecord {
  clientId: string;
  scope: string;
  patient?: string;
  encounter?: string;
  fhirUser?: string;
  /** The signed-in user's name (their administrator flag is looked up on every request). */
  username?: string;
  redirectUri?: string;
  codeChallenge?: string;
  /**
   * The family of everything issued from one authorization: its code, refresh tokens and access tokens
   * (which carry it as a claim). Replaying a code or a rotated refresh token revokes the whole family
   * (RFC 9700 §4.14.2).
   */
  family?: string;
  nonce?: string;
  expires: number;
}

/** A client that may not be registered as given (its message says why). */
export class ClientRegistrationError extends Error {}

/**
 * Persistence of the authorization server (clients, users, codes, refresh tokens, replayed assertion
 * ids, revoked tokens) in its own SQLite file beside the FHIR store.
 */
export class AuthStore {
  private readonly db: DatabaseSync;

  constructor(dataDir: string) {
    makePrivateDir(dataDir);
    createPrivateFile(path.join(dataDir, 'auth.sqlite'));
    this.db = new DatabaseSync(path.join(dataDir, 'auth.sqlite'));
    this.db.exec(`
      PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS client (id TEXT PRIMARY KEY, json TEXT NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS user (username TEXT PRIMARY KEY, json TEXT NOT NULL, administrator INTEGER NOT NULL DEFAULT 0) STRICT;
      CREATE TABLE IF NOT EXISTS grant_record (kind TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, key)) STRICT;
      CREATE TABLE IF NOT EXISTS seen_jti (iss TEXT NOT NULL, jti TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (iss, jti)) STRICT;
      CREATE TABLE IF NOT EXISTS revoked (jti TEXT PRIMARY KEY, expires INTEGER NOT NULL) STRICT;
      CREATE TABLE IF NOT EXISTS revoked_family (family TEXT PRIMARY KEY, expires INTEGER NOT NULL) STRICT;
    `);
    // stores created before users could be administrators: their users are not
    const columns = this.db.prepare('PRAGMA table_info(user)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'administrator')) this.db.exec('ALTER TABLE user ADD COLUMN administrator INTEGER NOT NULL DEFAULT 0');
  }

  getClient(id: string): ClientRecord | undefined {
    const row = this.db.prepare('SELECT json FROM client WHERE id = ?').get(id) as { json: string } | undefined;
    return row && (JSON.parse(row.json) as ClientRecord);
  }
  /** Registers or replaces a client; throws ClientRegistrationError for a redirect URI that may not be used. */
  putClient(c: ClientRecord): void {
    // every way of registering a client ends here, so this is where the rule cannot be skipped
    const problem = redirectUrisProblem(c.redirectUris);
    if (problem) throw new ClientRegistrationError(`Client ${c.id}: ${problem}`);
    this.db.prepare('INSERT OR REPLACE INTO client (id, json) VALUES (?, ?)').run(c.id, JSON.stringify(c));
  }
  removeClient(id: string): boolean {
    return this.db.prepare('DELETE FROM client WHERE id = ?').run(id).changes > 0;
  }
  listClients(): ClientRecord[] {
    return (this.db.prepare('SELECT json FROM client ORDER BY id').all() as { json: string }[]).map((r) => JSON.parse(r.json) as ClientRecord);
  }

  getUser(username: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT json, administrator FROM user WHERE username = ?').get(username) as UserRow | undefined;
    return row && userFromRow(row);
  }
  putUser(u: UserRecord): void {
    const { administrator, ...rest } = u;
    this.db.prepare('INSERT OR REPLACE INTO user (username, json, administrator) VALUES (?, ?, ?)').run(u.username, JSON.stringify(rest), administrator ? 1 : 0);
  }
  removeUser(username: string): boolean {
    return this.db.prepare('DELETE FROM user WHERE username = ?').run(username).changes > 0;
  }
  listUsers(): UserRecord[] {
    return (this.db.prepare('SELECT json, administrator FROM user ORDER BY username').all() as UserRow[]).map(userFromRow);
  }

  saveGrant(kind: 'code' | 'refresh', key: string, g: GrantRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO grant_record (kind, key, json, expires, used) VALUES (?, ?, ?, ?, 0)').run(kind, key, JSON.stringify(g), g.expires);
  }

  /**
   * Marks a code or refresh token used and returns it with whether it had been used before. One
   * statement, so two simultaneous uses cannot both see it unused. A used one is returned even after it
   * expired, so that a late replay is still detected.
   */
  useGrant(kind: 'code' | 'refresh', key: string, now: number): { grant: GrantRecord; reused: boolean } | undefined {
    const row = this.db
      .prepare('UPDATE grant_record SET used = used + 1 WHERE kind = ? AND key = ? AND (expires >= ? OR used > 0) RETURNING json, used')
      .get(kind, key, now) as { json: string; used: number } | undefined;
    return row && { grant: JSON.parse(row.json) as GrantRecord, reused: row.used > 1 };
  }

  peekGrant(kind: 'code' | 'refresh', key: string): GrantRecord | undefined {
    const row = this.db.prepare('SELECT json FROM grant_record WHERE kind = ? AND key = ?').get(kind, key) as { json: string } | undefined;
    return row && (JSON.parse(row.json) as GrantRecord);
  }

  /**
   * Revokes a family: its refresh tokens expire, and access tokens carrying it are refused until
   * `until` (past the life of any token issued from it, including one being issued right now).
   */
  revokeFamily(family: string, now: number, until: number): void {
    this.db.prepare('DELETE FROM revoked_family WHERE expires < ?').run(now);
    this.db.prepare('INSERT OR REPLACE INTO revoked_family (family, expires) VALUES (?, ?)').run(family, until);
    this.db.prepare("UPDATE grant_record SET used = used + 1, expires = ? WHERE kind = 'refresh' AND json_extract(json, '$.family') = ?").run(now - 1, family);
  }

  isFamilyRevoked(family: string): boolean {
    return this.db.prepare('SELECT 1 FROM revoked_family WHERE family = ?').get(family) !== undefined;
  }

  /** Records an assertion id; false if it was seen before (replay). */
  rememberJti(iss: string, jti: string, expires: number, now: number): boolean {
    this.db.prepare('DELETE FROM seen_jti WHERE expires < ?').run(now);
    return this.db.prepare('INSERT OR IGNORE INTO seen_jti (iss, jti, expires) VALUES (?, ?, ?)').run(iss, jti, expires).changes > 0;
  }

  revoke(jti: string, expires: number): void {
    this.db.prepare('INSERT OR REPLACE INTO revoked (jti, expires) VALUES (?, ?)').run(jti, expires);
  }
  isRevoked(jti: string): boolean {
    return this.db.prepare('SELECT 1 FROM revoked WHERE jti = ?').get(jti) !== undefined;
  }

  close(): void {
    this.db.close();
  }
}

type UserRow = { json: string; administrator: number };

/** The column is the record of who is an administrator (an operator may set it in SQL). */
function userFromRow(row: UserRow): UserRecord {
  const { administrator: _stale, ...user } = JSON.parse(row.json) as UserRecord;
  return row.administrator === 1 ? { ...user, administrator: true } : user;
}

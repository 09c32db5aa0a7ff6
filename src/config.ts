import { isIP } from 'node:net';
import path from 'node:path';

/** Typed configuration from environment variables, validated once at start (DESIGN.md decision 8). */
export interface Config {
  port: number;
  /** The interface to listen on (an IP address or host name); undefined: all interfaces. */
  host: string | undefined;
  /**
   * Public base URL of the FHIR endpoint, e.g. http://localhost:8080/fhir: the server's canonical base
   * (tokens' audience, references written under it are local). Links answer each request with the
   * base it addressed (src/http/request-base.ts) unless FHIR_BASE_URL was set.
   */
  baseUrl: string;
  /** Whether FHIR_BASE_URL was set: then it is the base of every link, whatever the request's Host. */
  baseUrlConfigured: boolean;
  /** Hosts (`name` or `name:port`, lower case) besides loopback that links may name when FHIR_BASE_URL is not set. */
  publicHosts: string[];
  dataDir: string;
  /** Maximum request body size in bytes. */
  bodyLimit: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Default and maximum page sizes for search and history. */
  defaultCount: number;
  maxCount: number;
  nodeEnv: string;
  /** Origins allowed to call the FHIR API from a browser ('*' for any). */
  corsOrigins: string[];
  /** Express 'trust proxy' setting: hops of reverse proxies whose X-Forwarded-For is believed. */
  trustProxy: number;
  /** SQLite durability: FULL syncs each commit to disk; NORMAL survives a process crash only. */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** MongoDB connection string; when set the server stores everything in MongoDB instead of SQLite. */
  mongodbUri: string | undefined;
  /** The MongoDB database (default `fhir`). */
  mongodbDb: string;
  /** Record an AuditEvent for every access to the FHIR API. */
  audit: boolean;
  /** Days the audit trail keeps its records (`npm run audit:prune` removes older ones); undefined: forever. */
  auditRetentionDays: number | undefined;
  /** 'smart': tokens required (default); 'none': no authorization, for local experiments only. */
  auth: 'smart' | 'none';
  bootstrapClientId?: string;
  bootstrapClientSecret?: string;
  /** An external authorization server whose tokens are accepted too. */
  externalIssuer?: string;
  externalJwksUrl?: string;
  /** Profiles a resource of a type must claim (one of), from FHIR_REQUIRED_PROFILES. */
  requiredProfiles: Record<string, string[]>;
  /** Subscription delivery (src/subscriptions): polling, retry schedule, timeouts, concurrency per endpoint. */
  subscriptions: SubscriptionSettings;
  /** Bulk Data export (src/export/). */
  export: ExportConfig;
  /** Monitoring rules and alerts (src/monitoring/). */
  monitoring: { maxAgeDays: number };
}

export interface SubscriptionSettings {
  /** How often the workers look for new versions and due deliveries (they are also woken by writes). */
  pollMs: number;
  /** The first retry comes after this; each further one after twice the previous, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long an endpoint may fail before its subscription goes to status error. */
  retryWindowMs: number;
  /** The longest a notification request may take (a subscription's backport-timeout may shorten it). */
  timeoutMs: number;
  /** Notification requests at the same time per endpoint origin. */
  perEndpoint: number;
}

export interface ExportConfig {
  /** Resources read from the store per page (memory is bounded by a page, not by the export). */
  pageSize: number;
  /** Resources per NDJSON file before the next file of the type starts. */
  fileMaxResources: number;
  /** Kicked-off jobs a client may have queued or running at once (429 beyond). */
  maxJobsPerClient: number;
  /** How long a finished export's files stay downloadable, in seconds. */
  fileTtlSeconds: number;
  /** How often an idle worker looks for work, in milliseconds. */
  pollMs: number;
  /** How long a worker holds a job without renewing; a job whose worker died is taken over after it. */
  leaseMs: number;
  /** A pause between pages, to leave the store to requests (0: none). */
  pagePauseMs: number;
  /** The Retry-After a client is told while a job runs, in seconds. */
  retryAfterSeconds: number;
  /** In-process export workers (0: this process runs none). */
  workers: number;
  /** The thresholds an `_deid=anonymised` release must meet. */
  anonymised: AnonymisedPolicy;
}

/** The `_deid=anonymised` policy (src/export/anon-*.ts): what a release must meet, and how dates go. */
export interface AnonymisedPolicy {
  /** The smallest equivalence class released (k-anonymity over the quasi-identifiers). */
  k: number;
  /** The highest average prosecutor risk: classes / persons released. */
  maxAverageRisk: number;
  /** The fewest distinct diagnosis chapters in every class released (distinct l-diversity). */
  l: number;
  /** The largest share of persons that may be left out to reach the rest. */
  maxSuppression: number;
  /** Dates cut to their month or year, or shifted per person (intervals kept). */
  dates: 'month' | 'year' | 'shift';
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function fractionVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw.trim()) || !(n >= 0 && n <= 1)) throw new ConfigError(`${name} must be a number between 0 and 1, got "${raw}"`);
  return n;
}

function anonDates(raw: string | undefined): AnonymisedPolicy['dates'] {
  const v = raw || 'month';
  if (v !== 'month' && v !== 'year' && v !== 'shift') throw new ConfigError(`EXPORT_ANON_DATES must be month, year or shift, got "${raw}"`);
  return v;
}

/** Parses sizes like "10mb", "512kb" or a plain number of bytes. */
export function parseByteSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) throw new ConfigError(`not a byte size: "${raw}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[unit] as number;
  return Math.floor(Number(m[1]) * factor);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intVar(env, 'PORT', 8080, 0, 65535);
  const baseUrl = (env.FHIR_BASE_URL || `http://localhost:${port}/fhir`).replace(/\/+$/, '');
  try {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`FHIR_BASE_URL must be an absolute http(s) URL, got "${baseUrl}"`);
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const defaultCount = intVar(env, 'FHIR_DEFAULT_COUNT', 20, 1, 10000);
  const maxCount = intVar(env, 'FHIR_MAX_COUNT', 1000, defaultCount, 10000);
  return {
    port,
    host: hostVar(env.HOST),
    baseUrl,
    baseUrlConfigured: !!env.FHIR_BASE_URL,
    publicHosts: publicHosts(env.FHIR_PUBLIC_HOSTS),
    dataDir: path.resolve(env.DATA_DIR || './data'),
    bodyLimit: parseByteSize(env.FHIR_BODY_LIMIT || '64mb'),
    logLevel,
    defaultCount,
    maxCount,
    nodeEnv: env.NODE_ENV || 'development',
    corsOrigins: (env.FHIR_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    trustProxy: intVar(env, 'TRUST_PROXY', 0, 0, 10),
    sqliteSynchronous: sqliteSync(env.SQLITE_SYNCHRONOUS),
    mongodbUri: env.MONGODB_URI || undefined,
    mongodbDb: mongoDbName(env.MONGODB_DB),
    audit: boolVar(env, 'FHIR_AUDIT', true),
    auditRetentionDays: env.FHIR_AUDIT_RETENTION_DAYS ? intVar(env, 'FHIR_AUDIT_RETENTION_DAYS', 0, 1, 36_500) : undefined,
    auth: authMode(env),
    bootstrapClientId: env.FHIR_BOOTSTRAP_CLIENT_ID || undefined,
    bootstrapClientSecret: env.FHIR_BOOTSTRAP_CLIENT_SECRET || undefined,
    externalIssuer: env.FHIR_EXTERNAL_ISSUER || undefined,
    externalJwksUrl: env.FHIR_EXTERNAL_JWKS_URL || undefined,
    requiredProfiles: requiredProfiles(env.FHIR_REQUIRED_PROFILES),
    subscriptions: {
      pollMs: intVar(env, 'SUBSCRIPTION_POLL_MS', 1000, 10, 60_000),
      retryBaseMs: intVar(env, 'SUBSCRIPTION_RETRY_BASE_MS', 5000, 10, 3_600_000),
      retryMaxMs: intVar(env, 'SUBSCRIPTION_RETRY_MAX_MS', 900_000, 10, 86_400_000),
      retryWindowMs: intVar(env, 'SUBSCRIPTION_RETRY_WINDOW_MS', 86_400_000, 100, 30 * 86_400_000),
      timeoutMs: intVar(env, 'SUBSCRIPTION_TIMEOUT_MS', 10_000, 100, 300_000),
      perEndpoint: intVar(env, 'SUBSCRIPTION_PER_ENDPOINT', 4, 1, 100),
    },
    monitoring: { maxAgeDays: intVar(env, 'MONITORING_MAX_AGE_DAYS', 30, 0, 36_500) },
    export: {
      pageSize: intVar(env, 'EXPORT_PAGE_SIZE', 500, 1, 10000),
      fileMaxResources: intVar(env, 'EXPORT_FILE_MAX_RESOURCES', 100_000, 1, 10_000_000),
      maxJobsPerClient: intVar(env, 'EXPORT_MAX_JOBS_PER_CLIENT', 2, 1, 1000),
      fileTtlSeconds: intVar(env, 'EXPORT_FILE_TTL', 86_400, 1, 30 * 86_400),
      pollMs: intVar(env, 'EXPORT_WORKER_POLL_MS', 1000, 10, 60_000),
      leaseMs: intVar(env, 'EXPORT_LEASE_MS', 30_000, 200, 3_600_000),
      pagePauseMs: intVar(env, 'EXPORT_PAGE_PAUSE_MS', 0, 0, 60_000),
      retryAfterSeconds: intVar(env, 'EXPORT_RETRY_AFTER', 2, 1, 3600),
      workers: intVar(env, 'EXPORT_WORKERS', 1, 0, 16),
      anonymised: {
        k: intVar(env, 'EXPORT_ANON_K', 11, 2, 1000),
        maxAverageRisk: fractionVar(env, 'EXPORT_ANON_MAX_AVERAGE_RISK', 0.05),
        l: intVar(env, 'EXPORT_ANON_L', 3, 1, 26),
        maxSuppression: fractionVar(env, 'EXPORT_ANON_MAX_SUPPRESSION', 0.05),
        dates: anonDates(env.EXPORT_ANON_DATES),
      },
    },
  };
}

function hostVar(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(raw) === 0 && !hostname.test(raw)) throw new ConfigError(`HOST must be an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0) or a host name, got "${raw}"`);
  return raw;
}

/** `fhir.example.org,10.0.0.5:8080`: host names or addresses, each with an optional port. */
function publicHosts(raw: string | undefined): string[] {
  const out: string[] = [];
  for (const h of (raw ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean)) {
    const m = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)(:\d{1,5})?$/.exec(h);
    if (!m) throw new ConfigError(`FHIR_PUBLIC_HOSTS: expected host names or addresses with an optional :port, got "${h}"`);
    out.push(h);
  }
  return out;
}

function mongoDbName(raw: string | undefined): string {
  const name = raw || 'fhir';
  // MongoDB's own rules for database names
  if (!/^[^/\\. "$*<>:|?]{1,63}$/.test(name)) throw new ConfigError(`MONGODB_DB must be a MongoDB database name (1-63 characters, none of /\\. "$*<>:|?), got "${raw}"`);
  return name;
}

function sqliteSync(raw: string | undefined): 'FULL' | 'NORMAL' {
  const v = (raw || 'FULL').toUpperCase();
  if (v !== 'FULL' && v !== 'NORMAL') throw new ConfigError(`SQLITE_SYNCHRONOUS must be FULL or NORMAL, got "${raw}"`);
  return v;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|on|1|yes)$/i.test(raw)) return true;
  if (/^(false|off|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

function authMode(env: NodeJS.ProcessEnv): 'smart' | 'none' {
  const v = env.FHIR_AUTH || 'smart';
  if (v !== 'smart' && v !== 'none') throw new ConfigError(`FHIR_AUTH must be smart or none, got "${v}"`);
  if (v === 'none' && env.NODE_ENV === 'production') throw new ConfigError('FHIR_AUTH=none is refused when NODE_ENV=production');
  if (Boolean(env.FHIR_BOOTSTRAP_CLIENT_ID) !== Boolean(env.FHIR_BOOTSTRAP_CLIENT_SECRET)) {
    throw new ConfigError('FHIR_BOOTSTRAP_CLIENT_ID and FHIR_BOOTSTRAP_CLIENT_SECRET go together');
  }
  if (Boolean(env.FHIR_EXTERNAL_ISSUER) !== Boolean(env.FHIR_EXTERNAL_JWKS_URL)) {
    throw new ConfigError('FHIR_EXTERNAL_ISSUER and FHIR_EXTERNAL_JWKS_URL go together');
  }
  return v;
}

/** `Patient=http://...insured-patient,Basic=url1|url2`: the profiles a type's resources must claim. */
function requiredProfiles(raw: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of (raw ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Z][A-Za-z]+)=(.+)$/.exec(part);
    if (!m) throw new ConfigError(`FHIR_REQUIRED_PROFILES: expected Type=url[|url...], got "${part}"`);
    out[m[1]] = m[2].split('|').map((u) => u.trim());
  }
  return out;
}

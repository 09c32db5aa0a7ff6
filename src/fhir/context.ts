import type { Logger } from 'pino';
import type { Config } from '../config';
import type { DefinitionRegistry } from '../definitions/registry';
import type { GuardedStore } from '../guard/guarded-store';
import type { WriteOp } from '../storage/port';
import type { Resource } from './types';

/** A FHIR request as the core sees it: no Express, just what the RESTful API defines. */
export interface FhirRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path segments after the FHIR base, percent-decoded. */
  path: string[];
  /** Query parameters in order (repeats kept). */
  query: [string, string][];
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /** Parsed body: a resource, a JSON Patch array, or form parameters for POST _search. */
  body?: unknown;
  /** The body's media type without parameters, e.g. application/fhir+json. */
  contentType?: string;
  /** The client's network address (for audit). */
  clientAddress?: string;
  /**
   * The id a create must use: set only by transaction processing, which assigns ids up front so that
   * entries can refer to each other. Never taken from the HTTP request.
   */
  assignedId?: string;
}

export interface FhirResponse {
  status: number;
  /** A resource to serialise... */
  resource?: Resource;
  /** ...or the stored JSON text of one, sent as it is. */
  json?: string;
  headers?: Record<string, string>;
  /** The version a write produced (for bundle responses: exact lastModified, location). */
  version?: { resourceType: string; id: string; versionId: string; lastUpdated: string };
}

/** Everything a handler may use: the store guarded by who asks, the definitions, the clock. */
export interface RequestContext {
  requestId: string;
  /** The id of this request's AuditEvent, set by the FHIR endpoint (a Bundle's entries refer to it as their parent). */
  auditId?: string;
  /**
   * Absolute FHIR base URL without a trailing slash, as this request addressed the server: for what
   * goes back to the client (links, Location, fullUrl). What is stored or matched (index extraction,
   * references written as absolute URLs) uses the canonical `config.baseUrl`, the same for every request.
   */
  baseUrl: string;
  config: Config;
  registry: DefinitionRegistry;
  /** The only way to data: it carries the request's grant (DESIGN.md decision 10). */
  store: GuardedStore;
  hooks: Hooks;
  log: Logger;
  now(): Date;
}

/**
 * What the write path needs: definitions, hooks and the clock; the writer's store when a request or
 * the server's named work writes (a hook may bind what is written to its grant, as Subscriptions are).
 */
export type WriteContext = Pick<RequestContext, 'registry' | 'baseUrl' | 'config' | 'hooks' | 'now'> & Partial<Pick<RequestContext, 'store'>>;

/** What every request shares: everything but the request's own id, log and guarded store. */
export type ServerContext = Omit<RequestContext, 'requestId' | 'store' | 'log'>;

/**
 * Named hook points for cross-cutting work (DESIGN.md decision 7, after HAPI's interceptors):
 * validation on write, audit of every access, redaction before showing. Not inlined in the store.
 */
export interface Hooks {
  /** Before a resource is stored; may throw a FhirError to refuse it. */
  beforeStore: ((ctx: WriteContext, resource: Resource) => void)[];
  /**
   * After a store scope committed, with the versions it wrote (a transaction Bundle's all at once); must
   * never throw. Optional, so that contexts without it (the audit writer's) need not name it.
   */
  afterCommit?: ((written: readonly WriteOp[]) => void)[];
  /** After a request was answered (or refused); must never throw. */
  afterResponse: ((ctx: RequestContext, req: FhirRequest, res: FhirResponse | undefined, error?: unknown) => void)[];
  /**
   * After each entry of a batch or transaction was processed, with the AuditEvent id of the Bundle's
   * own request as `parent`; `rolledBack` when the transaction it was part of failed. Must never throw.
   */
  afterEntry?: ((ctx: RequestContext, entry: FhirRequest, res: FhirResponse | undefined, error: unknown, parent: string | undefined, rolledBack?: boolean) => void)[];
}

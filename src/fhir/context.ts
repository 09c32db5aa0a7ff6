import type { Logger } from 'pino';
import type { Config } from '../config';
import type { DefinitionRegistry } from '../definitions/registry';
import type { Store } from '../storage/port';
import type { AccessGate } from './access';
import type { Hooks } from './hooks';
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

/** Everything a handler may use: who asks (the gate), the store, the definitions, the clock. */
export interface RequestContext {
  requestId: string;
  /** Absolute FHIR base URL without a trailing slash. */
  baseUrl: string;
  config: Config;
  registry: DefinitionRegistry;
  store: Store;
  access: AccessGate;
  hooks: Hooks;
  log: Logger;
  now(): Date;
}

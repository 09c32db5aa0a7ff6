import type { FhirRequest, FhirResponse, RequestContext } from './context';
import type { Resource } from './types';

/**
 * Named hook points for cross-cutting work (DESIGN.md decision 7, after HAPI's interceptors):
 * validation on write, audit of every access, redaction before showing. Not inlined in the store.
 */
export interface Hooks {
  /** Before a resource is stored; may throw a FhirError to refuse it. */
  beforeStore: ((ctx: RequestContext, resource: Resource) => void)[];
  /** After a request was answered (or refused); must never throw. */
  afterResponse: ((ctx: RequestContext, req: FhirRequest, res: FhirResponse | undefined, error?: unknown) => void)[];
}

export function emptyHooks(): Hooks {
  return { beforeStore: [], afterResponse: [] };
}

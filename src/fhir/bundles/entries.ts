import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { parseJsonText } from '../json';
import type { Bundle, BundleEntry, Resource } from '../types';

export type EntryMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One entry of a batch or transaction, checked and turned into the parts of a sub-request. */
export interface ParsedEntry {
  index: number;
  fullUrl?: string;
  method: EntryMethod;
  /** Path segments and query of request.url, relative to the base. */
  path: string[];
  query: [string, string][];
  resource?: Resource;
  headers: Record<string, string | undefined>;
}

const METHODS = new Set<EntryMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Checks the Bundle's shape (http.html#transaction) and parses every entry's request. `bases`: the
 * base URLs of this server an absolute request.url may start with (the first is shown in messages).
 */
export function parseBundleEntries(body: unknown, bases: string[]): { type: 'batch' | 'transaction'; entries: ParsedEntry[] } {
  const bundle = body as Bundle | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw new FhirError('invalid', 'FHIR-0400-BUNDLE', 'POST to the base needs a Bundle of type batch or transaction');
  }
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new FhirError(
      'invalid',
      'FHIR-0400-BUNDLETYPE',
      `A Bundle of type ${String(bundle.type)} cannot be processed; post batch or transaction Bundles to the base, store others at ${bases[0]}/Bundle`,
      { expression: 'Bundle.type' }
    );
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) {
    throw new FhirError('invalid', 'FHIR-0400-BUNDLE', 'Bundle.entry must be an array', { expression: 'Bundle.entry' });
  }
  const entries = (bundle.entry ?? []).map((e, i) => parseEntry(e, i, bases));
  return { type: bundle.type, entries };
}

function parseEntry(entry: BundleEntry, index: number, bases: string[]): ParsedEntry {
  const at = `Bundle.entry[${index}]`;
  const bad = (msg: string, expression = at) => new FhirError('invalid', 'FHIR-0400-ENTRY', `Entry ${index}: ${msg}`, { expression });
  if (!entry || typeof entry !== 'object') throw bad('not an object');
  if (entry.response !== undefined) throw bad('entry.response must not be populated in a request', `${at}.response`);
  const request = entry.request;
  if (!request || typeof request.url !== 'string' || typeof request.method !== 'string') throw bad('request.method and request.url are required', `${at}.request`);
  const method = request.method.toUpperCase() as EntryMethod;
  if (!METHODS.has(method)) throw bad(`unsupported method ${request.method}`, `${at}.request.method`);
  if ((method === 'POST' || method === 'PUT') && !entry.resource) throw bad(`${method} needs a resource`, `${at}.resource`);
  const { path, query } = splitUrl(request.url, bases, () => bad('request.url is not a URL of this server', `${at}.request.url`));
  if (path.length === 0 && method !== 'GET') throw bad('request.url must name a resource type (bundles do not nest)', `${at}.request.url`);
  const headers: Record<string, string | undefined> = {
    'if-none-exist': request.ifNoneExist,
    'if-match': request.ifMatch,
    'if-none-match': request.ifNoneMatch,
    'if-modified-since': request.ifModifiedSince,
  };
  return { index, fullUrl: entry.fullUrl, method, path, query, resource: entry.resource, headers };
}

/** request.url relative to the base (an absolute URL must be under one of this server's bases). */
export function splitUrl(url: string, bases: string[], fail: () => Error): { path: string[]; query: [string, string][] } {
  let rel = url;
  if (/^https?:\/\//.test(url)) {
    const base = bases.find((b) => url.startsWith(`${b}/`) || url.startsWith(`${b}?`));
    if (base === undefined) throw fail();
    rel = url.slice(base.length);
  }
  const [rawPath, rawQuery = ''] = rel.split('?', 2);
  let path: string[];
  try {
    path = rawPath.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    throw fail();
  }
  return { path, query: [...new URLSearchParams(rawQuery)] };
}

/** The sub-request an entry stands for, dispatched through the router. */
export function entryRequest(entry: ParsedEntry, outer: FhirRequest): FhirRequest {
  const isPatchBinary = entry.method === 'PATCH' && entry.resource?.resourceType === 'Binary';
  let body: unknown = entry.resource;
  let contentType: string | undefined = entry.resource ? 'application/fhir+json' : undefined;
  if (isPatchBinary) {
    // a JSON Patch travels in a transaction as a Binary (http.html#patch)
    const binary = entry.resource as { contentType?: string; data?: string };
    contentType = binary.contentType;
    // parsed as a request body is: no prototype names, bounded depth
    try {
      body = parseJsonText(Buffer.from(binary.data ?? '', 'base64').toString('utf8'));
    } catch (err) {
      if (err instanceof FhirError && err.errorCode !== 'FHIR-0400-JSON') throw err;
      throw new FhirError('invalid', 'FHIR-0400-PATCH', `Entry ${entry.index}: the Binary does not hold a JSON Patch document`);
    }
  }
  return {
    method: entry.method,
    path: entry.path,
    query: entry.query,
    headers: { prefer: outer.headers.prefer, ...entry.headers },
    body,
    contentType,
    clientAddress: outer.clientAddress,
  };
}

/** Entries processed between two turns of the event loop. */
const ENTRIES_PER_TURN = 50;

/**
 * Lets the event loop run after every ENTRIES_PER_TURN entries, so that a long Bundle (whose store
 * calls may all complete synchronously, as the embedded store's do) does not hold up other clients'
 * requests for its whole duration: reads go on beside an open write scope, other writes queue.
 */
export async function breathe(position: number): Promise<void> {
  if (position % ENTRIES_PER_TURN === ENTRIES_PER_TURN - 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Runs the afterEntry hooks (the audit trail's event per entry, with the Bundle's own event as its
 * parent); a hook that throws is logged, never fails the Bundle.
 */
export function afterEntry(ctx: RequestContext, entry: FhirRequest, res: FhirResponse | undefined, error: unknown, rolledBack = false): void {
  for (const hook of ctx.hooks.afterEntry ?? []) {
    try {
      hook(ctx, entry, res, error, ctx.auditId, rolledBack);
    } catch (err) {
      ctx.log.error({ err }, 'afterEntry hook failed');
    }
  }
}

import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { FhirRequest, FhirResponse, RequestContext, ServerContext } from '../fhir/context';
import { FhirError, internalErrorOutcome, isFhirError } from '../fhir/errors';
import type { Resource } from '../fhir/types';
import { NO_GRANT, type Grant } from '../guard/grant';
import { GuardedStore, type DataStores } from '../guard/guarded-store';
import { parseBody } from './body';
import { negotiate } from './negotiate';
import { requestBaseUrl } from './request-base';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const REQUEST_ID_RE = /^[A-Za-z0-9\-._]{1,64}$/;

/** The Authorization header turned into the request's grant (a FhirError 401 when it is not valid). */
export type Authenticate = (headers: Record<string, string | string[] | undefined>) => Promise<Grant>;
export type Route = (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

/** Whether the audit trail can record right now: undefined when it can, else why not (fail closed). */
export interface AuditGate {
  unavailable(): string | undefined;
}

/**
 * Adapts Express to the FHIR core: builds the plain FhirRequest and RequestContext, runs the router,
 * and writes the FhirResponse or the OperationOutcome of any failure. Nothing below imports Express.
 */
export function fhirEndpoint(
  baseCtx: ServerContext,
  stores: DataStores,
  log: Logger,
  authenticate: Authenticate,
  route: Route,
  audit?: AuditGate
) {
  return async function handle(req: Request, res: Response): Promise<void> {
    const requestId = requestIdOf(req);
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const reqLog = log.child({ reqId: requestId });
    let fhirReq: FhirRequest | undefined;
    let ctx: RequestContext | undefined;
    let out: FhirResponse | undefined;
    let failure: unknown;
    try {
      fhirReq = toFhirRequest(req);
      negotiate(header(req, 'accept'), fhirReq.query.find(([k]) => k === '_format')?.[1]);
      // the CapabilityStatement is public (SMART discovery starts there) and reads no data; everything else needs a token
      const grant = fhirReq.path.length === 1 && fhirReq.path[0] === 'metadata' && fhirReq.method !== 'POST' ? NO_GRANT : await authenticate(req.headers);
      ctx = { ...baseCtx, baseUrl: requestBaseUrl(baseCtx.config, req), requestId, auditId: randomUUID(), store: new GuardedStore(stores, grant, baseCtx), log: reqLog };
      if (grant !== NO_GRANT) refuseUnrecorded(audit);
      out = await route(ctx, fhirReq);
      send(res, req, out);
    } catch (err) {
      failure = err;
      // a refused token is audited too: as an anonymous request
      if (!ctx && fhirReq) ctx = { ...baseCtx, baseUrl: requestBaseUrl(baseCtx.config, req), requestId, auditId: randomUUID(), store: new GuardedStore(stores, NO_GRANT, baseCtx), log: reqLog };
      sendError(res, err, requestId, reqLog);
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      reqLog.info(
        { method: req.method, path: req.path, params: [...new URLSearchParams(req.url.split('?')[1] ?? '').keys()], status: res.statusCode, ms },
        'request'
      );
      if (ctx && fhirReq) for (const hook of ctx.hooks.afterResponse) runHook(() => hook(ctx as RequestContext, fhirReq as FhirRequest, out, failure), reqLog);
    }
  };
}

/**
 * An access that cannot be recorded does not happen (DESIGN.md decision 11): while the audit trail
 * cannot be written, every request for data is answered 503, until the trail's probe succeeds again.
 */
function refuseUnrecorded(audit: AuditGate | undefined): void {
  const why = audit?.unavailable();
  if (why === undefined) return;
  throw new FhirError('unavailable', 'FHIR-0503-AUDIT', `The audit trail cannot record accesses at the moment (${why}); no data is served until it can. Try again shortly.`, {
    headers: { 'Retry-After': '5' },
  });
}

function runHook(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.error({ err }, 'afterResponse hook failed');
  }
}

function requestIdOf(req: Request): string {
  const given = header(req, 'x-request-id');
  return given && REQUEST_ID_RE.test(given) ? given : randomUUID();
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function toFhirRequest(req: Request): FhirRequest {
  if (!METHODS.has(req.method)) throw new FhirError('not-allowed', 'FHIR-0405', `Method ${req.method.slice(0, 10)} is not supported`);
  const [rawPath, rawQuery = ''] = req.url.split('?', 2);
  let path: string[];
  try {
    path = rawPath.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1))).map(decodeURIComponent);
  } catch {
    throw new FhirError('invalid', 'FHIR-0400-URL', 'The URL is not validly percent-encoded');
  }
  if (path.some((s) => s === '' || /[\u0000-\u001f\\]/.test(s))) throw new FhirError('invalid', 'FHIR-0400-URL', 'The URL path is malformed');
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const { contentType, body } = parseBody(Buffer.isBuffer(req.body) ? req.body : undefined, headers['content-type']);
  return {
    method: req.method as FhirRequest['method'],
    path,
    query: [...new URLSearchParams(rawQuery)],
    headers,
    body,
    contentType,
    clientAddress: req.ip,
  };
}

function send(res: Response, req: Request, out: FhirResponse): void {
  res.status(out.status);
  for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
  let text = out.json ?? (out.resource ? JSON.stringify(out.resource) : undefined);
  if (text === undefined || out.status === 204 || out.status === 304) {
    res.end();
    return;
  }
  if (wantsPretty(req)) text = JSON.stringify(JSON.parse(text) as Resource, null, 2);
  res.setHeader('Content-Type', FHIR_JSON);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(req.method === 'HEAD' ? undefined : text);
}

function wantsPretty(req: Request): boolean {
  return /(?:^|&)_pretty=true(?:&|$)/.test(req.url.split('?')[1] ?? '');
}

export function sendError(res: Response, err: unknown, requestId: string, log: Logger): void {
  let status: number;
  let body: unknown;
  if (isFhirError(err)) {
    status = err.status;
    body = err.toOperationOutcome();
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    if (status >= 500) log.error({ err }, 'request failed');
  } else {
    status = 500;
    body = internalErrorOutcome(requestId);
    log.error({ err }, 'unexpected error');
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).setHeader('Content-Type', FHIR_JSON);
  res.end(JSON.stringify(body));
}

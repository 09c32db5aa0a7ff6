import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { FhirRequest, FhirResponse, ServerContext } from '../fhir/context';
import { isFhirError } from '../fhir/errors';
import { NO_GRANT, type Grant } from '../guard/grant';
import { GuardedStore } from '../guard/guarded-store';
import type { Store } from '../storage/port';
import { FILE_PATH, STATUS_PATH, type AsyncAnswer, type ExportService } from '../export/service';
import { sendError, type Authenticate } from './fhir-endpoint';

/**
 * The Bulk Data status endpoint (GET polls, DELETE cancels or releases) and the file endpoint, beside
 * the FHIR endpoint: they answer with manifests and NDJSON, not FHIR resources. Same token as the
 * API, the job's own client only; every access goes through the afterResponse hooks (audit).
 */
export function exportRouter(deps: { baseCtx: ServerContext; store: Store; log: Logger; authenticate: Authenticate; service: ExportService }): Router {
  const router = express.Router();
  const basePath = new URL(deps.baseCtx.baseUrl).pathname.replace(/\/+$/, '');
  router.use(async (req: Request, res: Response, next) => {
    const prefix = `${basePath}/`;
    if (!req.path.startsWith(prefix)) return next();
    let segments: string[];
    try {
      segments = req.path.slice(prefix.length).split('/').map(decodeURIComponent);
    } catch {
      return next();
    }
    const [what, id, name] = segments;
    const status = what === STATUS_PATH && segments.length === 2 && (req.method === 'GET' || req.method === 'DELETE');
    const file = what === FILE_PATH && segments.length === 3 && req.method === 'GET';
    if (!status && !file) return next();
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    let grant: Grant = NO_GRANT;
    let answer: AsyncAnswer | undefined;
    let failure: unknown;
    try {
      grant = await deps.authenticate(req.headers);
      answer = file ? await deps.service.file(grant, id, name) : req.method === 'DELETE' ? await deps.service.cancel(grant, id) : await deps.service.status(grant, id);
      res.status(answer.status);
      for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
      if (answer.file) {
        res.setHeader('Content-Length', fs.statSync(answer.file).size);
        fs.createReadStream(answer.file).on('error', (err) => res.destroy(err)).pipe(res);
      } else if (answer.body !== undefined) {
        const text = JSON.stringify(answer.body);
        res.setHeader('Content-Type', answer.status === 200 && status ? 'application/json; charset=utf-8' : 'application/fhir+json; charset=utf-8');
        res.end(text);
      } else res.end();
    } catch (err) {
      failure = err;
      sendError(res, err, requestId, deps.log);
    } finally {
      audit(deps, req, requestId, grant, answer, failure);
    }
  });
  return router;
}

function audit(deps: { baseCtx: ServerContext; store: Store; log: Logger }, req: Request, requestId: string, grant: Grant, answer: AsyncAnswer | undefined, failure: unknown): void {
  const path = req.path.split('/').filter(Boolean).slice(new URL(deps.baseCtx.baseUrl).pathname.split('/').filter(Boolean).length);
  const fhirReq: FhirRequest = { method: req.method as FhirRequest['method'], path, query: [], headers: {}, clientAddress: req.ip };
  const ctx = { ...deps.baseCtx, requestId, store: new GuardedStore({ main: deps.store }, grant, deps.baseCtx), log: deps.log };
  const res: FhirResponse | undefined = answer ? { status: answer.status } : isFhirError(failure) ? undefined : undefined;
  for (const hook of deps.baseCtx.hooks.afterResponse) {
    try {
      hook(ctx, fhirReq, res, failure);
    } catch (err) {
      deps.log.error({ err }, 'afterResponse hook failed');
    }
  }
}

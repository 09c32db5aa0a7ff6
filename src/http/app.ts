import cors from 'cors';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { FhirError } from '../fhir/errors';
import type { Store } from '../storage/port';
import { fhirEndpoint, sendError, type AuditGate, type Authenticate, type Route } from './fhir-endpoint';
import type { ServerContext } from '../fhir/context';

export interface AppDeps {
  config: Config;
  log: Logger;
  store: Store;
  /** The audit trail's own store (AuditEvent is read from it only). */
  auditStore?: Store;
  /** The audit trail's writer: whether accesses can be recorded now (undefined: audit is off). */
  audit?: AuditGate;
  baseCtx: ServerContext;
  authenticate: Authenticate;
  route: Route;
  /** Routers mounted before the FHIR endpoint (e.g. SMART discovery and OAuth endpoints). */
  routers?: Router[];
  /** Whether a browser origin may call the FHIR API (configured origins, registered apps' origins). */
  corsOrigin?: (origin: string) => boolean;
}

/**
 * An OPTIONS request the CORS middleware did not answer (an origin it does not allow, or no origin):
 * 204 with the methods of the API and no CORS headers, so a browser refuses the cross-origin call
 * while the client still gets a proper answer (not 405; FHIR R4 defines no OPTIONS interaction).
 */
function answerOptions(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'OPTIONS') return next();
  res.status(204).set('Allow', 'GET, HEAD, POST, PUT, PATCH, DELETE').end();
}

/** The Express application: security headers, CORS, body limits, health, and the FHIR endpoint. */
export function createApp(deps: AppDeps): express.Express {
  const { config, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(helmet());

  app.get('/healthz', async (_req, res) => {
    // the audit trail is part of health: while it cannot record, no data is served (fhir-endpoint.ts)
    const auditDown = deps.audit?.unavailable();
    const audit = !deps.audit ? 'off' : auditDown === undefined ? 'ok' : 'unavailable';
    try {
      await deps.store.ping();
      if (auditDown !== undefined) res.status(503).json({ status: 'unavailable', store: deps.store.kind, audit, reason: auditDown });
      else res.json({ status: 'ok', store: deps.store.kind, audit });
    } catch (err) {
      log.error({ err }, 'health check failed');
      res.status(503).json({ status: 'unavailable', store: deps.store.kind, audit });
    }
  });

  for (const router of deps.routers ?? []) app.use(router);

  const basePath = new URL(config.baseUrl).pathname.replace(/\/+$/, '') || '/';
  app.use(
    basePath,
    cors({
      origin: (origin, cb) => cb(null, !!origin && (config.corsOrigins.includes('*') || config.corsOrigins.includes(origin) || !!deps.corsOrigin?.(origin))),
      exposedHeaders: ['Location', 'Content-Location', 'ETag', 'Last-Modified', 'X-Request-Id'],
      maxAge: 600,
    }),
    answerOptions,
    express.raw({ type: () => true, limit: config.bodyLimit }),
    fhirEndpoint(deps.baseCtx, { main: deps.store, audit: deps.auditStore }, log, deps.authenticate, deps.route, deps.audit)
  );

  app.use((req: Request, res: Response) => {
    sendError(res, new FhirError('not-found', 'FHIR-0404-ROUTE', `No endpoint at ${req.path.slice(0, 80)}; the FHIR API is at ${basePath}`), '-', log);
  });

  // Errors raised before the FHIR endpoint ran: body limits and transport problems.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') {
      sendError(res, new FhirError('too-large', 'FHIR-0413', `The body exceeds the limit of ${config.bodyLimit} bytes`), '-', log);
    } else if (e?.status && e.status >= 400 && e.status < 500) {
      sendError(res, new FhirError('invalid', 'FHIR-0400-BODY', 'The request body could not be read'), '-', log);
    } else {
      sendError(res, err, '-', log);
    }
  });
  return app;
}

import cors from 'cors';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { authenticateClient, OAuthError } from '../auth/client-auth';
import { introspect } from '../auth/introspection';
import { launchRefusal } from '../auth/launch-registration';
import type { AuthDecision } from '../auth/audit';
import { PENDING_TTL_MS, type AuthorizationServer } from '../auth/oauth';
import type { ClientRecord } from '../auth/store';
import { NO_STORE, render } from './auth-pages';
import { BrowserBinding } from './browser-binding';
import { isValidId } from '../fhir/util';

/** SMART discovery (SMART App Launch 2.x, conformance.html): what this authorization server offers. */
export function smartConfiguration(fhirBase: string, origin: string) {
  return {
    issuer: fhirBase,
    jwks_uri: `${origin}/auth/jwks`,
    authorization_endpoint: `${origin}/auth/authorize`,
    token_endpoint: `${origin}/auth/token`,
    introspection_endpoint: `${origin}/auth/introspect`,
    revocation_endpoint: `${origin}/auth/revoke`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt', 'none'],
    scopes_supported: ['openid', 'fhirUser', 'launch', 'launch/patient', 'offline_access', 'online_access', 'patient/*.rs', 'patient/*.read', 'user/*.cruds', 'user/*.*', 'system/*.cruds', 'system/*.*'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
    capabilities: [
      'launch-standalone',
      'launch-ehr',
      'context-ehr-patient',
      'context-ehr-encounter',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'permission-patient',
      'permission-user',
      'permission-offline',
      'permission-online',
      'permission-v1',
      'permission-v2',
      'sso-openid-connect',
    ],
  };
}

function form(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Failed sign-ins for one user name, from any address, before it is refused for the rest of the window. */
const ACCOUNT_FAILURES = 5;
const ACCOUNT_WINDOW_MS = 15 * 60_000;

export interface SmartRouterOptions {
  fhirBase: string;
  /** Whether a browser origin may call the token and revocation endpoints. */
  corsOrigins: (origin: string) => boolean;
  audit?: (d: AuthDecision) => void;
  /**
   * Why decisions cannot be recorded now (the audit writer's `unavailable()`), or undefined when they
   * can: while it says why, sign-in, consent and token issuance answer 503 instead of going unrecorded.
   */
  unrecordable?: () => string | undefined;
  /**
   * Whether the patient is visible to the caller of these headers: asked of the FHIR core (a read of
   * Patient/{id} with the caller's own request context), so that its access rules decide.
   */
  patientVisible: (headers: Record<string, string | string[] | undefined>, patientId: string) => Promise<boolean>;
  /** Where unexpected errors go. */
  onError?: (err: unknown) => void;
  /** The FHIR base URL a request addressed the server by (src/http/request-base.ts); `fhirBase` by default. */
  requestBase?: (req: Request) => string;
}

/** The OAuth endpoints and discovery documents, mounted before the FHIR endpoint. */
export function smartRouter(server: AuthorizationServer, options: SmartRouterOptions): Router {
  const { fhirBase, corsOrigins } = options;
  const audit = options.audit ?? (() => undefined);
  const log = options.onError ?? (() => undefined);
  const router = express.Router();
  const basePath = new URL(fhirBase).pathname.replace(/\/+$/, '');
  const requestBase = options.requestBase ?? (() => fhirBase);
  const originOf = (req: Request) => new URL(requestBase(req)).origin;
  // the token endpoint under each name it answers to (a client assertion's audience)
  const tokenUrls = (req: Request) => [...new Set([server.urls.token, `${originOf(req)}/auth/token`])];
  const discovery = cors({ origin: true });
  // the endpoints at the origin the client used; the issuer is the one the tokens name
  const config = (req: Request) => smartConfiguration(fhirBase, originOf(req));
  router.get(`${basePath}/.well-known/smart-configuration`, discovery, (req, res) => {
    res.type('application/json').json(config(req));
  });
  router.get(`${basePath}/.well-known/openid-configuration`, discovery, (req, res) => {
    res.json({ ...config(req), scopes_supported: ['openid', 'fhirUser'] });
  });
  router.get('/auth/jwks', discovery, (_req, res) => {
    res.json(server.tokens.jwks());
  });

  const urlencoded = express.urlencoded({ extended: false, limit: '64kb' });
  const limiter = (limit: number) => rateLimit({ windowMs: 60_000, limit, standardHeaders: 'draft-7', legacyHeaders: false });
  const appCors = cors({ origin: (o, cb) => cb(null, !o || corsOrigins(o)), methods: ['POST'] });

  // fail closed with the audit trail (DESIGN.md decision 11): no sign-in and no token that it cannot record
  const unrecordable = options.unrecordable ?? (() => undefined);
  const RETRY_AFTER = '5';
  const recordedPage = (_req: Request, res: Response, next: NextFunction) => {
    const why = unrecordable();
    if (!why) return next();
    res.set('Retry-After', RETRY_AFTER);
    render(res, { kind: 'error-page', status: 503, message: 'Signing in is not possible at the moment, as it cannot be recorded in the audit trail. Please try again in a few minutes.' });
  };
  const recordedToken = (req: Request, res: Response, next: NextFunction) => {
    const why = unrecordable();
    if (!why) return next();
    const f = form(req);
    audit({ action: 'token', success: false, clientId: claimedClient(f, req.headers.authorization), detail: `${f.grant_type}: refused: audit trail unavailable`, sourceAddress: req.ip });
    res.set({ ...NO_STORE, 'Retry-After': RETRY_AFTER });
    res.status(503).json({ error: 'temporarily_unavailable', error_description: `No token is issued while the audit trail cannot be written (${why})` });
  };

  const browser = new BrowserBinding(fhirBase, PENDING_TTL_MS);
  const authorize = (req: Request, res: Response) => {
    const binding = browser.bindingFor(req);
    const result = server.authorize({ ...(req.query as Record<string, string>), ...form(req) }, binding, requestBase(req));
    if (result.kind === 'login') browser.set(res, binding);
    render(res, result);
  };
  const fromThisOrigin = (req: Request, res: Response, next: NextFunction) => {
    if (browser.fromThisOrigin(req, originOf(req))) next();
    else render(res, { kind: 'error-page', status: 403, message: 'This form was sent from another site; start again from the app.' });
  };
  router.get('/auth/authorize', limiter(120), recordedPage, authorize);
  router.post('/auth/authorize', limiter(120), urlencoded, recordedPage, authorize);
  // per user name as well as per address: guessing one account's password from many addresses is
  // stopped too. Only failures count; past the limit the name is refused until the window ends.
  const accountLimiter = rateLimit({
    windowMs: ACCOUNT_WINDOW_MS,
    limit: ACCOUNT_FAILURES,
    standardHeaders: false,
    legacyHeaders: false,
    requestPropertyName: 'accountRateLimit',
    keyGenerator: (req) => `user:${(form(req).username ?? '').slice(0, 256)}`,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.locals.signedIn === true,
    handler: (req, res, next) => {
      const reset = (req as Request & { accountRateLimit?: { resetTime?: Date } }).accountRateLimit?.resetTime;
      res.set('Retry-After', String(Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + ACCOUNT_WINDOW_MS) - Date.now()) / 1000))));
      res.locals.accountThrottled = true;
      next();
    },
  });
  router.post('/auth/login', limiter(10), urlencoded, fromThisOrigin, recordedPage, accountLimiter, async (req, res) => {
    const f = form(req);
    const throttled = res.locals.accountThrottled === true;
    const result = await server.login(f.request ?? '', browser.of(req), f.username ?? '', f.password ?? '', throttled);
    res.locals.signedIn = result.kind === 'consent';
    if (result.kind === 'consent' || result.kind === 'login') {
      const detail = result.kind === 'consent' ? undefined : `sign-in ${throttled ? 'refused (too many failures)' : 'failed'} for ${f.username?.slice(0, 64)}`;
      audit({ action: 'login', success: result.kind === 'consent', clientId: result.request.client.id, user: result.request.user?.fhirUser, detail, sourceAddress: req.ip });
    }
    render(res, result);
  });
  router.post('/auth/consent', limiter(60), urlencoded, fromThisOrigin, recordedPage, async (req, res) => {
    const f = form(req);
    const approved = f.decision === 'approve' ? Object.keys(f).filter((k) => k.startsWith('scope:')).map((k) => k.slice(6)) : null;
    const parties = server.pendingParties(f.request ?? '', browser.of(req));
    const result = await server.consent(f.request ?? '', browser.of(req), approved);
    if (parties && result.kind === 'redirect') {
      const granted = !/[?&]error=/.test(result.url);
      audit({ action: 'consent', success: granted, ...parties, detail: granted ? `approved: ${approved?.join(' ')}` : 'declined or not entitled', sourceAddress: req.ip });
    }
    render(res, result);
  });

  // SMART EHR launch: an EHR (a user or system token allowed to read the patient) registers the context
  // it is about to launch an app in, and passes the returned id as the app's `launch` parameter
  router.post('/auth/launch', limiter(120), express.json({ limit: '4kb' }), async (req, res) => {
    const refuse = (status: number, error: string, description: string) => res.status(status).json({ error, error_description: description });
    try {
      const body = (req.body ?? {}) as { patient?: unknown; encounter?: unknown };
      const { patient, encounter } = body;
      // each one given must be a FHIR id: a launch never carries a context that no URL could name
      const valid = (v: unknown): v is string | undefined => v === undefined || isValidId(v);
      const refusal = await launchRefusal(server.tokens, req.headers);
      if (refusal) return refuse(refusal.status, refusal.error, refusal.description);
      if ((patient === undefined && encounter === undefined) || !valid(patient) || !valid(encounter)) {
        return refuse(400, 'invalid_request', 'patient or encounter (ids) required');
      }
      if (patient && !(await options.patientVisible(req.headers, patient))) return refuse(403, 'access_denied', 'The patient is not visible to this token');
      res.json({ launch: server.registerLaunch({ patient, encounter }) });
    } catch (err) {
      log(err);
      refuse(500, 'server_error', 'Unexpected error');
    }
  });

  router.options('/auth/token', appCors);
  router.post('/auth/token', limiter(300), appCors, urlencoded, recordedToken, async (req, res) => {
    res.set(NO_STORE);
    const f = form(req);
    const clientId = claimedClient(f, req.headers.authorization);
    try {
      const body = await server.token(f, req.headers.authorization, tokenUrls(req));
      audit({ action: 'token', success: true, clientId, detail: `${f.grant_type}: ${String(body.scope)}`, sourceAddress: req.ip });
      res.json(body);
    } catch (err) {
      audit({ action: 'token', success: false, clientId, detail: err instanceof OAuthError ? `${f.grant_type}: ${err.error}: ${err.description}` : 'server error', sourceAddress: req.ip });
      oauthError(res, err);
    }
  });
  router.post('/auth/introspect', limiter(300), urlencoded, async (req, res) => {
    res.set(NO_STORE);
    try {
      const caller = await introspectingClient(server, req, tokenUrls(req));
      res.json(await introspect(server.tokens, server.urls.fhirBase, caller, form(req).token ?? ''));
    } catch (err) {
      oauthError(res, err);
    }
  });
  // RFC 7009 §2.1: the client authenticates as at the token endpoint (a public client by its client_id)
  router.options('/auth/revoke', appCors);
  router.post('/auth/revoke', limiter(300), appCors, urlencoded, async (req, res) => {
    res.set(NO_STORE);
    try {
      const f = form(req);
      const client = await authenticateClient(server.store, f, req.headers.authorization, tokenUrls(req), Date.now());
      await server.revoke(client, f.token ?? '');
      res.status(200).end();
    } catch (err) {
      oauthError(res, err);
    }
  });
  return router;
}

/**
 * Introspection answers only an authenticated confidential client (RFC 7662 §2.1: client_secret_basic
 * or private_key_jwt). A bearer token is not accepted: it would let any token holder probe others.
 */
async function introspectingClient(server: AuthorizationServer, req: Request, tokenUrls: string[]): Promise<ClientRecord> {
  if (req.headers.authorization?.startsWith('Bearer ')) throw new OAuthError('invalid_client', 'Introspection needs client authentication, not a bearer token', 401);
  const client = await authenticateClient(server.store, form(req), req.headers.authorization, tokenUrls, Date.now());
  if (client.type === 'public') throw new OAuthError('invalid_client', 'Introspection needs a confidential client', 401);
  return client;
}

/** The client a token request claims to be (for the audit trail; authentication decides whether it is). */
function claimedClient(f: Record<string, string>, authorization: string | undefined): string | undefined {
  if (authorization?.startsWith('Basic ')) return Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':')[0].slice(0, 128);
  if (f.client_assertion) {
    try {
      return String(JSON.parse(Buffer.from(f.client_assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).iss).slice(0, 128);
    } catch {
      return undefined;
    }
  }
  return f.client_id?.slice(0, 128);
}

function oauthError(res: Response, err: unknown): void {
  if (err instanceof OAuthError) {
    if (err.status === 401) res.set('WWW-Authenticate', 'Basic realm="token"');
    res.status(err.status).json({ error: err.error, error_description: err.description });
  } else {
    res.status(500).json({ error: 'server_error', error_description: 'Unexpected error' });
  }
}

/** The CapabilityStatement's rest.security for SMART (with the oauth-uris extension). */
export function smartSecurity(fhirBase: string) {
  const origin = new URL(fhirBase).origin;
  return {
    cors: true,
    service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }], text: 'OAuth2 using SMART-on-FHIR profile' }],
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'token', valueUri: `${origin}/auth/token` },
          { url: 'authorize', valueUri: `${origin}/auth/authorize` },
          { url: 'introspect', valueUri: `${origin}/auth/introspect` },
          { url: 'revoke', valueUri: `${origin}/auth/revoke` },
        ],
      },
    ],
  };
}

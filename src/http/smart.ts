import cors from 'cors';
import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { authenticateClient, OAuthError } from '../auth/client-auth';
import { describeScope } from '../auth/describe';
import type { AuthDecision } from '../auth/audit';
import type { AuthorizationServer, AuthorizeResult } from '../auth/oauth';
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

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** The OAuth endpoints and discovery documents, mounted before the FHIR endpoint. */
export function smartRouter(
  server: AuthorizationServer,
  fhirBase: string,
  corsOrigins: (origin: string) => boolean,
  audit: (d: AuthDecision) => void = () => undefined
): Router {
  const router = express.Router();
  const origin = new URL(fhirBase).origin;
  const basePath = new URL(fhirBase).pathname.replace(/\/+$/, '');
  const discovery = cors({ origin: true });
  const config = smartConfiguration(fhirBase, origin);
  router.get(`${basePath}/.well-known/smart-configuration`, discovery, (_req, res) => {
    res.type('application/json').json(config);
  });
  router.get(`${basePath}/.well-known/openid-configuration`, discovery, (_req, res) => {
    res.json({ ...config, scopes_supported: ['openid', 'fhirUser'] });
  });
  router.get('/auth/jwks', discovery, (_req, res) => {
    res.json(server.tokens.jwks());
  });

  const urlencoded = express.urlencoded({ extended: false, limit: '64kb' });
  const limiter = (limit: number) => rateLimit({ windowMs: 60_000, limit, standardHeaders: 'draft-7', legacyHeaders: false });
  const appCors = cors({ origin: (o, cb) => cb(null, !o || corsOrigins(o)), methods: ['POST'] });

  const authorize = (req: Request, res: Response) => render(res, server.authorize({ ...(req.query as Record<string, string>), ...form(req) }));
  router.get('/auth/authorize', limiter(120), authorize);
  router.post('/auth/authorize', limiter(120), urlencoded, authorize);
  router.post('/auth/login', limiter(10), urlencoded, async (req, res) => {
    const f = form(req);
    const result = await server.login(f.request ?? '', f.username ?? '', f.password ?? '');
    if (result.kind === 'consent' || result.kind === 'login') {
      audit({ action: 'login', success: result.kind === 'consent', clientId: result.request.client.id, user: result.request.user?.fhirUser, detail: result.kind === 'login' ? `sign-in failed for ${f.username?.slice(0, 64)}` : undefined, sourceAddress: req.ip });
    }
    render(res, result);
  });
  router.post('/auth/consent', limiter(60), urlencoded, (req, res) => {
    const f = form(req);
    const approved = f.decision === 'approve' ? Object.keys(f).filter((k) => k.startsWith('scope:')).map((k) => k.slice(6)) : null;
    render(res, server.consent(f.request ?? '', approved));
  });

  // SMART EHR launch: an EHR (a user or system token allowed to read the patient) registers the context
  // it is about to launch an app in, and passes the returned id as the app's `launch` parameter
  router.post('/auth/launch', limiter(120), express.json({ limit: '4kb' }), async (req, res) => {
    try {
      const gate = await server.authenticate(req.headers);
      const body = (req.body ?? {}) as { patient?: unknown; encounter?: unknown };
      const { patient, encounter } = body;
      // each one given must be a FHIR id: a launch never carries a context that no URL could name
      const valid = (v: unknown): v is string | undefined => v === undefined || isValidId(v);
      if ((patient === undefined && encounter === undefined) || !valid(patient) || !valid(encounter)) {
        res.status(400).json({ error: 'invalid_request', error_description: 'patient or encounter (ids) required' });
        return;
      }
      gate.requireInteraction('r', 'Patient');
      res.json({ launch: server.registerLaunch({ patient, encounter }) });
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      res.status(status === 403 ? 403 : 401).json({ error: status === 403 ? 'insufficient_scope' : 'invalid_token' });
    }
  });

  router.options('/auth/token', appCors);
  router.post('/auth/token', limiter(300), appCors, urlencoded, async (req, res) => {
    res.set(NO_STORE);
    const f = form(req);
    const clientId = claimedClient(f, req.headers.authorization);
    try {
      const body = await server.token(f, req.headers.authorization);
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
      await requireClient(server, req);
      res.json(await server.introspect(form(req).token ?? ''));
    } catch (err) {
      oauthError(res, err);
    }
  });
  router.post('/auth/revoke', limiter(300), appCors, urlencoded, async (req, res) => {
    await server.revoke(form(req).token ?? '');
    res.status(200).end();
  });
  return router;
}

/** Introspection is for registered confidential clients (RFC 7662 §2.1) or a bearer with a valid token. */
async function requireClient(server: AuthorizationServer, req: Request): Promise<void> {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    await server.tokens.verifyAccessToken(auth.slice(7)).catch(() => {
      throw new OAuthError('invalid_client', 'Introspection needs client authentication', 401);
    });
    return;
  }
  const client = await authenticateClient(server.store, form(req), auth, server.urls.token, Date.now());
  if (client.type === 'public') throw new OAuthError('invalid_client', 'Introspection needs a confidential client', 401);
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

function render(res: Response, result: AuthorizeResult): void {
  res.set({ ...NO_STORE, // no form-action: the consent form's answer is a redirect to the app, which form-action would block
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" });
  switch (result.kind) {
    case 'redirect':
      res.redirect(302, result.url);
      return;
    case 'error-page':
      res.status(400).type('html').send(page('Cannot continue', `<p>${esc(result.message)}</p>`));
      return;
    case 'login':
      res.type('html').send(
        page(
          `Sign in to share your records with ${esc(result.request.client.name)}`,
          `${result.error ? `<p role="alert">${esc(result.error)}</p>` : ''}
<form method="post" action="/auth/login">
<input type="hidden" name="request" value="${esc(result.request.id)}">
<label>User name <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`
        )
      );
      return;
    case 'consent': {
      const items = result.request.scope
        .split(' ')
        .map((s) => `<li><label><input type="checkbox" name="scope:${esc(s)}" checked> ${esc(describeScope(s))} <code>${esc(s)}</code></label></li>`)
        .join('\n');
      res.type('html').send(
        page(
          `${esc(result.request.client.name)} asks to`,
          `<form method="post" action="/auth/consent">
<input type="hidden" name="request" value="${esc(result.request.id)}">
<ul>${items}</ul>
<p>Untick anything you do not want to share. You can revoke access at any time.</p>
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`
        )
      );
      return;
    }
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto}label{display:block;margin:.5em 0}</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
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

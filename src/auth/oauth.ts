import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DefinitionRegistry } from '../definitions/registry';
import type { TokenGrants } from '../guard/from-token';
import { FhirError } from '../fhir/errors';
import { authenticateClient, OAuthError } from './client-auth';
import { ExpiringMap } from './expiring-map';
import { verifySecret } from './passwords';
import { redirectUriProblem } from './redirect-uri';
import { granularScopeProblem, intersectScopes, parseScopes } from './scopes';
import type { AuthStore, ClientRecord, GrantRecord, UserRecord } from './store';
import { bearerToken, type TokenService } from './tokens';

export interface AuthorizationRequest {
  id: string;
  client: ClientRecord;
  redirectUri: string;
  scope: string;
  state?: string;
  codeChallenge: string;
  nonce?: string;
  user?: UserRecord;
  /** EHR launch: the context the EHR bound to the `launch` parameter. */
  launch?: LaunchContext;
  /** The browser that started it (its binding cookie): only it may sign in and consent. */
  browser: string;
}

/** The context an EHR registers before it launches an app (SMART EHR launch). */
export interface LaunchContext {
  patient?: string;
  encounter?: string;
}

/** How long a pending authorization (sign-in and consent) stays valid. */
export const PENDING_TTL_MS = 10 * 60_000;

/**
 * Whether the signed-in user may be given an EHR launch's patient context. Injected, so that the FHIR
 * core's access rules decide, not the authorization server.
 */
export type UserEntitled = (user: Pick<UserRecord, 'fhirUser' | 'administrator'>, patientId: string) => Promise<boolean>;

export interface AuthorizationOptions {
  now?: () => number;
  /** Without it no user is entitled to any launch patient (fail closed). */
  userEntitled?: UserEntitled;
  /** Most pending authorizations and launch contexts held in memory at once (the oldest go first). */
  maxPending?: number;
}

export type AuthorizeResult =
  | { kind: 'error-page'; message: string; status?: number }
  | { kind: 'redirect'; url: string }
  | { kind: 'login'; request: AuthorizationRequest; error?: string; status?: number }
  | { kind: 'consent'; request: AuthorizationRequest };

const CODE_TTL_MS = 60_000;
const APP_TOKEN_TTL_S = 3600;
const SYSTEM_TOKEN_TTL_S = 300;
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
/** Time for an app to use the launch id an EHR registered. */
const LAUNCH_TTL_MS = 5 * 60_000;

/** The SMART authorization server: authorization code with PKCE, client credentials, refresh, revocation. */
export class AuthorizationServer {
  private readonly pending: ExpiringMap<AuthorizationRequest>;
  private readonly launches: ExpiringMap<LaunchContext>;
  private readonly now: () => number;
  private readonly userEntitled: UserEntitled;

  constructor(
    readonly store: AuthStore,
    readonly tokens: TokenService,
    private readonly registry: DefinitionRegistry,
    readonly urls: { fhirBase: string; token: string },
    options: AuthorizationOptions = {}
  ) {
    this.now = options.now ?? Date.now;
    this.userEntitled = options.userEntitled ?? (async () => false);
    // anyone may start an authorization: bounded, so that starting many cannot exhaust memory
    this.pending = new ExpiringMap(PENDING_TTL_MS, options.maxPending ?? 10_000, this.now);
    this.launches = new ExpiringMap(LAUNCH_TTL_MS, options.maxPending ?? 10_000, this.now);
  }

  /** How many pending authorizations and launch contexts are held (for monitoring). */
  held(): { pending: number; launches: number } {
    return { pending: this.pending.size, launches: this.launches.size };
  }

  /** The Authorization header of a FHIR request turned into what its token grants (401 when it is not valid). */
  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<TokenGrants> {
    const token = bearerToken(headers);
    if (!token) {
      throw new FhirError('unauthorized', 'FHIR-0401', 'An access token is required (Authorization: Bearer ...)', {
        headers: { 'WWW-Authenticate': 'Bearer realm="fhir"' },
      });
    }
    const claims = await this.tokens.verifyAccessToken(token);
    const administrator = !!(claims.username && this.store.getUser(claims.username)?.administrator);
    return { clientId: claims.clientId, scope: claims.scope, patient: claims.patient, fhirUser: claims.fhirUser, administrator, family: claims.family };
  }

  // ---- authorization endpoint ----

  /**
   * Starts an authorization for the browser whose binding is `browser`. `fhirBase`: the base URL the
   * request addressed the server by (one of its own names), accepted as `aud` besides the configured one.
   */
  authorize(params: Record<string, string | undefined>, browser: string, fhirBase = this.urls.fhirBase): AuthorizeResult {
    const client = this.store.getClient(params.client_id ?? '');
    if (!client) return { kind: 'error-page', message: 'Unknown client_id.' };
    const redirectUri = params.redirect_uri ?? '';
    if (!client.redirectUris.includes(redirectUri)) return { kind: 'error-page', message: 'The redirect_uri is not registered for this client.' };
    // a client registered before redirect URIs were checked is held to the same rule
    if (redirectUriProblem(redirectUri)) return { kind: 'error-page', message: 'The redirect_uri of this client is not allowed (https, or http on loopback only).' };
    const fail = (error: string, description: string): AuthorizeResult => ({ kind: 'redirect', url: withParams(redirectUri, { error, error_description: description, state: params.state }) });
    if (params.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (!params.code_challenge || params.code_challenge_method !== 'S256') return fail('invalid_request', 'PKCE with code_challenge_method S256 is required');
    const aud = (params.aud ?? '').replace(/\/+$/, '');
    if (aud !== this.urls.fhirBase && aud !== fhirBase) return fail('invalid_request', `aud must be this FHIR server's base URL, ${fhirBase}`);
    const granular = granularScopeProblem(params.scope ?? '');
    if (granular) return fail('invalid_scope', granular);
    const scope = intersectScopes(params.scope ?? '', client.scope);
    const { resources } = parseScopes(scope);
    if (!scope || resources.some((s) => s.context === 'system')) return fail('invalid_scope', 'No requested scope can be granted to this client');
    let launch: LaunchContext | undefined;
    if (params.launch !== undefined) {
      launch = this.launches.get(params.launch);
      if (!launch || !scope.split(' ').includes('launch')) {
        return fail('invalid_request', 'The launch parameter is unknown or expired, or the launch scope is missing');
      }
    }
    const request: AuthorizationRequest = {
      launch,
      browser,
      id: randomBytes(24).toString('base64url'),
      client,
      redirectUri,
      scope,
      state: params.state,
      codeChallenge: params.code_challenge,
      nonce: params.nonce,
    };
    this.pending.set(request.id, request);
    return { kind: 'login', request };
  }

  /**
   * Checks a user's password. `throttled`: the user name had too many failed sign-ins lately, and is
   * refused without a check, whatever the password.
   */
  async login(requestId: string, browser: string | undefined, username: string, password: string, throttled = false): Promise<AuthorizeResult> {
    const request = this.pendingRequest(requestId, browser);
    if (!request) return { kind: 'error-page', message: 'This sign-in page has expired or was opened in another browser; start again from the app.' };
    if (throttled) return { kind: 'login', request, status: 429, error: 'Too many failed sign-ins for this user name; try again in a few minutes.' };
    const user = this.store.getUser(username);
    // verifySecret does the same scrypt work without a stored hash: no timing hint about which names exist
    const ok = await verifySecret(password, user?.passwordHash);
    if (!user || !ok) return { kind: 'login', request, error: 'Wrong user name or password.' };
    request.user = user;
    return { kind: 'consent', request };
  }

  /**
   * The user's decision: the scopes they approved (a subset of those asked) or a refusal. An EHR launch
   * goes on only if the user is entitled to its patient.
   */
  /** The client and signed-in user of a pending request (for the audit trail of its consent decision). */
  pendingParties(requestId: string, browser: string | undefined): { clientId: string; user?: string } | undefined {
    const request = this.pendingRequest(requestId, browser);
    return request && { clientId: request.client.id, user: request.user?.fhirUser };
  }

  async consent(requestId: string, browser: string | undefined, approved: string[] | null): Promise<AuthorizeResult> {
    const request = this.pendingRequest(requestId, browser);
    if (!request?.user) return { kind: 'error-page', message: 'This page has expired or was opened in another browser; start again from the app.' };
    this.pending.delete(requestId);
    const state = request.state;
    if (approved === null) return { kind: 'redirect', url: withParams(request.redirectUri, { error: 'access_denied', state }) };
    if (request.launch?.patient && !(await this.userEntitled(request.user, request.launch.patient))) {
      return { kind: 'redirect', url: withParams(request.redirectUri, { error: 'access_denied', error_description: 'The signed-in user may not open this patient', state }) };
    }
    const asked = new Set(request.scope.split(' '));
    const scope = approved.filter((s) => asked.has(s)).join(' ');
    const granted = new Set(scope.split(' '));
    const fhirUser = request.user.fhirUser;
    // the context goes only with the scope the user left ticked: EHR launch, the context the EHR bound
    // (`launch`); standalone, the signed-in patient (`launch/patient`)
    const ehr = request.launch && granted.has('launch') ? request.launch : undefined;
    const standalone = !request.launch && granted.has('launch/patient') && fhirUser.startsWith('Patient/') ? fhirUser.slice(8) : undefined;
    const patient = ehr ? ehr.patient : standalone;
    const encounter = ehr?.encounter;
    const code = randomBytes(32).toString('base64url');
    this.store.saveGrant('code', hash(code), {
      // the family is fixed before the code exists, so that a replay can revoke whatever it led to
      family: randomUUID(),
      clientId: request.client.id,
      scope,
      patient,
      encounter,
      fhirUser,
      username: request.user.username,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      expires: this.now() + CODE_TTL_MS,
    });
    return { kind: 'redirect', url: withParams(request.redirectUri, { code, state }) };
  }

  /** Registers an EHR launch context (a patient and/or encounter) and returns its launch id (valid for LAUNCH_TTL_MS). */
  registerLaunch(context: LaunchContext): string {
    const id = randomBytes(18).toString('base64url');
    this.launches.set(id, { ...context });
    return id;
  }

  /** The pending request, if it is still pending and belongs to this browser. */
  private pendingRequest(id: string, browser: string | undefined): AuthorizationRequest | undefined {
    const r = this.pending.get(id);
    return r && browser !== undefined && sameSecret(r.browser, browser) ? r : undefined;
  }

  // ---- token endpoint ----

  /** `tokenUrls`: the URLs of this endpoint a client assertion may name as its audience (the configured one by default). */
  async token(form: Record<string, string>, authorization: string | undefined, tokenUrls: string[] = [this.urls.token]): Promise<Record<string, unknown>> {
    switch (form.grant_type) {
      case 'client_credentials':
        return this.clientCredentials(form, authorization, tokenUrls);
      case 'authorization_code':
        return this.authorizationCode(form, authorization, tokenUrls);
      case 'refresh_token':
        return this.refresh(form, authorization, tokenUrls);
      default:
        throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code, refresh_token or client_credentials');
    }
  }

  private async clientCredentials(form: Record<string, string>, authorization: string | undefined, tokenUrls: string[]) {
    const client = await authenticateClient(this.store, form, authorization, tokenUrls, this.now());
    if (client.type === 'public') throw new OAuthError('unauthorized_client', 'Public clients cannot use client_credentials');
    const granular = granularScopeProblem(form.scope ?? '');
    if (granular) throw new OAuthError('invalid_scope', granular);
    const scope = intersectScopes(form.scope ?? '', client.scope);
    const { resources } = parseScopes(scope);
    if (!resources.length || resources.some((s) => s.context !== 'system')) throw new OAuthError('invalid_scope', 'client_credentials grants system/ scopes the client is registered for');
    const at = await this.tokens.issueAccessToken({ clientId: client.id, scope }, SYSTEM_TOKEN_TTL_S);
    return { access_token: at.token, token_type: 'Bearer', expires_in: at.expiresIn, scope };
  }

  private async authorizationCode(form: Record<string, string>, authorization: string | undefined, tokenUrls: string[]) {
    const client = await authenticateClient(this.store, form, authorization, tokenUrls, this.now());
    const used = this.store.useGrant('code', hash(form.code ?? ''), this.now());
    if (!used) throw new OAuthError('invalid_grant', 'The code is unknown or expired');
    const g = used.grant;
    if (used.reused) {
      this.revokeFamily(g.family);
      throw new OAuthError('invalid_grant', 'The code was already used; tokens issued from it are revoked');
    }
    if (g.clientId !== client.id) throw new OAuthError('invalid_grant', 'The code was issued to another client');
    if (g.redirectUri !== form.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.code_verifier ?? '';
    if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier) || createHash('sha256').update(verifier).digest('base64url') !== g.codeChallenge) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    return this.issueUnlessReplayed(client, g);
  }

  private async refresh(form: Record<string, string>, authorization: string | undefined, tokenUrls: string[]) {
    const key = hash(form.refresh_token ?? '');
    const client = await this.refreshingClient(form, authorization, key, tokenUrls);
    const grant = this.store.peekGrant('refresh', key);
    if (!grant || grant.clientId !== client.id) throw new OAuthError('invalid_grant', 'The refresh token is not valid for this client');
    if (grant.family && this.store.isFamilyRevoked(grant.family)) throw new OAuthError('invalid_grant', 'The refresh token has been revoked');
    let scope = grant.scope;
    if (form.scope) {
      // checked before the token is used, so a refused request does not spend it
      const narrower = form.scope.split(/\s+/).filter(Boolean);
      const had = new Set(scope.split(' '));
      if (narrower.some((s) => !had.has(s))) throw new OAuthError('invalid_scope', 'A refresh may only narrow the scopes');
      scope = narrower.join(' ');
    }
    const used = this.store.useGrant('refresh', key, this.now());
    if (!used) throw new OAuthError('invalid_grant', 'The refresh token has expired');
    if (used.reused) {
      this.revokeFamily(used.grant.family);
      throw new OAuthError('invalid_grant', 'The refresh token was already used; its family is revoked');
    }
    return this.issueUnlessReplayed(client, { ...used.grant, scope });
  }

  /**
   * The client asking for a refresh: authenticated as at every token request; or, when the request
   * names no client at all, the public client the refresh token was issued to (RFC 6749 §6 asks a
   * public client for no client_id, and fhirclient sends none). A confidential client still authenticates.
   */
  private async refreshingClient(form: Record<string, string>, authorization: string | undefined, key: string, tokenUrls: string[]): Promise<ClientRecord> {
    const namesNoClient = authorization === undefined && form.client_id === undefined && form.client_assertion === undefined && form.client_assertion_type === undefined;
    if (!namesNoClient) return authenticateClient(this.store, form, authorization, tokenUrls, this.now());
    const owner = this.store.getClient(this.store.peekGrant('refresh', key)?.clientId ?? '');
    if (!owner) throw new OAuthError('invalid_grant', 'The refresh token is not valid');
    if (owner.type !== 'public') throw new OAuthError('invalid_client', 'This client must authenticate', 401);
    return owner;
  }

  /**
   * Issues the tokens of a grant just used; if a replay revoked its family while they were being
   * issued, they are refused instead (they would be refused at every use anyway).
   */
  private async issueUnlessReplayed(client: ClientRecord, g: GrantRecord): Promise<Record<string, unknown>> {
    const body = await this.issue(client, g);
    if (g.family && this.store.isFamilyRevoked(g.family)) throw new OAuthError('invalid_grant', 'The grant was used twice at once; its family is revoked');
    return body;
  }

  private revokeFamily(family: string | undefined): void {
    // longer than any token of the family lives, counting one issued while this runs
    if (family) this.store.revokeFamily(family, this.now(), this.now() + REFRESH_TTL_MS + 24 * 3600 * 1000);
  }

  /** Issues the tokens of an authorization: access token, refresh token if asked, id_token if asked. */
  private async issue(client: ClientRecord, g: GrantRecord): Promise<Record<string, unknown>> {
    const other = parseScopes(g.scope).other;
    const at = await this.tokens.issueAccessToken({ clientId: client.id, scope: g.scope, patient: g.patient, encounter: g.encounter, fhirUser: g.fhirUser, username: g.username, family: g.family }, APP_TOKEN_TTL_S);
    const body: Record<string, unknown> = { access_token: at.token, token_type: 'Bearer', expires_in: at.expiresIn, scope: g.scope };
    if (g.patient) body.patient = g.patient;
    if (g.encounter) body.encounter = g.encounter;
    if (g.patient) body.need_patient_banner = true;
    if (other.has('fhirUser') && g.fhirUser) body.fhirUser = g.fhirUser;
    if (other.has('openid') && other.has('fhirUser') && g.fhirUser) body.id_token = await this.tokens.issueIdToken(client.id, g.fhirUser, g.nonce);
    if (other.has('offline_access') || other.has('online_access')) {
      const refresh = randomBytes(32).toString('base64url');
      this.store.saveGrant('refresh', hash(refresh), { ...g, expires: this.now() + REFRESH_TTL_MS });
      body.refresh_token = refresh;
    }
    return body;
  }

  // ---- revocation (introspection is in introspection.ts) ----

  /**
   * RFC 7009 for an authenticated client: a refresh token revokes its family, an access token itself.
   * Only the client a token was issued to may revoke it; an unknown token is answered as revoked.
   */
  async revoke(client: ClientRecord, token: string): Promise<void> {
    const notYours = () => new OAuthError('invalid_grant', 'The token was issued to another client');
    const refresh = this.store.peekGrant('refresh', hash(token));
    if (refresh) {
      if (refresh.clientId !== client.id) throw notYours();
      this.revokeFamily(refresh.family);
      return;
    }
    let claims;
    try {
      claims = await this.tokens.verifyAccessToken(token);
    } catch {
      return; // invalid, expired or already revoked
    }
    if (claims.clientId !== client.id) throw notYours();
    this.store.revoke(claims.jti, claims.exp * 1000);
  }
}

function sameSecret(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function withParams(url: string, params: Record<string, string | undefined>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

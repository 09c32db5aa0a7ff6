import { createHash, randomBytes } from 'node:crypto';
import { hashSecret } from '../../src/auth/passwords';
import { AuthStore, type ClientRecord } from '../../src/auth/store';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

export const BASE = 'http://localhost:8080/fhir';
export const REDIRECT = 'https://app.example.org/callback';

/** A server with SMART on, and direct access to its client and user registry. */
export async function startSmartServer(env: Record<string, string> = {}): Promise<TestServer & { auth: AuthStore }> {
  const t = await startTestServer({ FHIR_AUTH: 'smart', FHIR_AUDIT: 'off', ...env });
  const auth = new AuthStore(t.dataDir);
  const close = t.close;
  return Object.assign(t, {
    auth,
    async close() {
      auth.close();
      await close();
    },
  });
}

export async function addSecretClient(auth: AuthStore, id: string, scope: string): Promise<string> {
  const secret = randomBytes(16).toString('hex');
  auth.putClient({ id, name: id, type: 'confidential-symmetric', secretHash: await hashSecret(secret), redirectUris: [REDIRECT], scope });
  return secret;
}

export function addPublicClient(auth: AuthStore, id: string, scope: string, extra: Partial<ClientRecord> = {}): void {
  auth.putClient({ id, name: `App ${id}`, type: 'public', redirectUris: [REDIRECT], scope, ...extra });
}

export async function addUser(auth: AuthStore, username: string, fhirUser: string, password = 'correct horse'): Promise<void> {
  auth.putUser({ username, passwordHash: await hashSecret(password), fhirUser });
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export async function systemToken(t: TestServer, id: string, secret: string, scope: string): Promise<string> {
  const res = await t.http.post('/auth/token').set('Authorization', basic(id, secret)).type('form').send({ grant_type: 'client_credentials', scope });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The browser binding cookie (`name=value`) an /auth/authorize page set: sign-in and consent need it back. */
export function signinCookie(res: { headers: Record<string, unknown> }): string {
  const cookie = ((res.headers['set-cookie'] ?? []) as string[]).find((c) => /^(__Host-)?fhir-signin=/.test(c));
  if (!cookie) throw new Error('no sign-in cookie set');
  return cookie.split(';')[0];
}

/** The standalone launch up to the code, as a browser would do it: authorize, sign in, consent, with its cookie. */
export async function authorizeCode(
  t: TestServer,
  clientId: string,
  scope: string,
  user: { username: string; password?: string },
  approve: (scopes: string[]) => string[] = (s) => s
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const auth = await t.http.get('/auth/authorize').query({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: 'st-123',
    aud: BASE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (auth.status !== 200) throw new Error(`authorize: ${auth.status} ${auth.headers.location ?? auth.text}`);
  const requestId = /name="request" value="([^"]+)"/.exec(auth.text)?.[1] as string;
  const cookie = signinCookie(auth);
  const login = await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request: requestId, username: user.username, password: user.password ?? 'correct horse' });
  const offered = [...login.text.matchAll(/name="scope:([^"]+)"/g)].map((m) => m[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
  const form: Record<string, string> = { request: requestId, decision: 'approve' };
  for (const s of approve(offered)) form[`scope:${s}`] = 'on';
  const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send(form);
  const location = new URL(consent.headers.location);
  if (location.searchParams.get('state') !== 'st-123') throw new Error('state not echoed');
  return { code: location.searchParams.get('code') as string, verifier };
}

/** The code exchanged for tokens at the token endpoint, as a public client. */
export function exchangeCode(t: TestServer, clientId: string, code: string, verifier: string) {
  return t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier });
}

/** The standalone launch, as a browser would do it: authorize, sign in, consent, exchange the code. */
export async function launch(
  t: TestServer,
  clientId: string,
  scope: string,
  user: { username: string; password?: string },
  approve: (scopes: string[]) => string[] = (s) => s
): Promise<{ status: number; body: any; code: string; verifier: string }> {
  const { code, verifier } = await authorizeCode(t, clientId, scope, user, approve);
  const token = await exchangeCode(t, clientId, code, verifier);
  return { status: token.status, body: token.body, code, verifier };
}

export { FHIR_JSON };

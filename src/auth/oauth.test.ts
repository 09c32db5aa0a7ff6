import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getRegistry } from '../definitions/registry';
import { loadSigningKeys } from './keys';
import { hashSecret } from './passwords';
import { AuthorizationServer } from './oauth';
import { AuthStore } from './store';
import { TokenService } from './tokens';

const BASE = 'http://localhost:8080/fhir';
const REDIRECT = 'https://app.example.org/callback';
/** The browser binding every call here comes with. */
const BROWSER = 'b'.repeat(43);

let dir: string;
let store: AuthStore;
let clock = Date.now();
let server: AuthorizationServer;
let tokens: TokenService;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-oauth-'));
  store = new AuthStore(dir);
  tokens = new TokenService(await loadSigningKeys(dir), store, { issuer: BASE, audience: BASE });
  store.putClient({ id: 'app', name: 'App', type: 'public', redirectUris: [REDIRECT], scope: 'launch launch/patient offline_access patient/*.rs' });
  store.putUser({ username: 'ann', passwordHash: await hashSecret('pw'), fhirUser: 'Patient/ann-1' });
  server = new AuthorizationServer(store, tokens, getRegistry(), { fhirBase: BASE, token: 'http://localhost:8080/auth/token' }, { now: () => clock, maxPending: 5 });
});
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(extra: Record<string, string> = {}, challenge = 'x'.repeat(43)) {
  const result = server.authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch/patient offline_access patient/*.rs', aud: BASE, code_challenge: challenge, code_challenge_method: 'S256', ...extra }, BROWSER);
  if (result.kind !== 'login') throw new Error(`authorize: ${JSON.stringify(result)}`);
  return result.request.id;
}

describe('pending authorizations and launch contexts', () => {
  it('expire, are purged, and are capped', async () => {
    const first = start();
    for (let i = 0; i < 3; i++) start();
    expect(server.held().pending).toBe(4);
    clock += 11 * 60_000; // past the 10 minutes given to sign in
    expect(await server.login(first, BROWSER, 'nobody', 'x')).toMatchObject({ kind: 'error-page' });
    start();
    expect(server.held().pending).toBe(1);

    // at most maxPending are held: the oldest is dropped to make room
    const oldest = start();
    for (let i = 0; i < 5; i++) start();
    expect(server.held().pending).toBe(5);
    expect(await server.login(oldest, BROWSER, 'nobody', 'x')).toMatchObject({ kind: 'error-page' });
  });

  it('a launch context expires after 5 minutes and is then purged', () => {
    const launch = server.registerLaunch({ patient: 'p1' });
    for (let i = 0; i < 2; i++) server.registerLaunch({ patient: 'p2' });
    expect(server.held().launches).toBe(3);
    expect(server.authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch patient/*.rs', aud: BASE, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', launch }, BROWSER)).toMatchObject({ kind: 'login' });
    clock += 6 * 60_000;
    const late = server.authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch patient/*.rs', aud: BASE, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', launch }, BROWSER);
    expect(late).toMatchObject({ kind: 'redirect' });
    expect(new URL((late as { url: string }).url).searchParams.get('error')).toBe('invalid_request');
    server.registerLaunch({ patient: 'p3' });
    expect(server.held().launches).toBe(1);
  });
});

/** A code for ann, through sign-in and consent. */
async function code(): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const id = start({}, createHash('sha256').update(verifier).digest('base64url'));
  await server.login(id, BROWSER, 'ann', 'pw');
  const done = await server.consent(id, BROWSER, ['launch/patient', 'offline_access', 'patient/*.rs']);
  if (done.kind !== 'redirect') throw new Error('consent');
  return { code: new URL(done.url).searchParams.get('code') as string, verifier };
}

const settled = (calls: Promise<Record<string, unknown>>[]) => Promise.allSettled(calls);

/** Whatever simultaneous uses got: at least one refused, and every token any of them got is revoked. */
async function expectAllRevoked(results: PromiseSettledResult<Record<string, unknown>>[]) {
  expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.error)).toContain('invalid_grant');
  for (const r of results) {
    if (r.status !== 'fulfilled') continue;
    await expect(tokens.verifyAccessToken(r.value.access_token as string)).rejects.toMatchObject({ status: 401 });
    await expect(server.token({ grant_type: 'refresh_token', refresh_token: r.value.refresh_token as string, client_id: 'app' }, undefined)).rejects.toMatchObject({ error: 'invalid_grant' });
  }
}

describe('simultaneous uses of one grant', () => {
  it('of a code: the replay revokes what the first use is issuing', async () => {
    const { code: c, verifier } = await code();
    const form = { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: 'app', code_verifier: verifier };
    // the second call's replay check runs while the first is signing its tokens
    await expectAllRevoked(await settled([server.token(form, undefined), server.token(form, undefined)]));
  });

  it('of a refresh token: the replay revokes the family, what the first use is issuing included', async () => {
    const { code: c, verifier } = await code();
    const first = await server.token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: 'app', code_verifier: verifier }, undefined);
    const form = { grant_type: 'refresh_token', refresh_token: first.refresh_token as string, client_id: 'app' };
    await expectAllRevoked(await settled([server.token(form, undefined), server.token(form, undefined)]));
    await expect(tokens.verifyAccessToken(first.access_token as string)).rejects.toMatchObject({ status: 401 });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getRegistry } from '../definitions/registry';
import { loadSigningKeys } from './keys';
import { AuthorizationServer } from './oauth';
import { AuthStore } from './store';
import { TokenService } from './tokens';

const BASE = 'http://localhost:8080/fhir';
const REDIRECT = 'https://app.example.org/callback';

let dir: string;
let store: AuthStore;
let clock = Date.now();
let server: AuthorizationServer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-oauth-'));
  store = new AuthStore(dir);
  const tokens = new TokenService(await loadSigningKeys(dir), store, { issuer: BASE, audience: BASE });
  store.putClient({ id: 'app', name: 'App', type: 'public', redirectUris: [REDIRECT], scope: 'launch launch/patient patient/*.rs' });
  server = new AuthorizationServer(store, tokens, getRegistry(), { fhirBase: BASE, token: 'http://localhost:8080/auth/token' }, { now: () => clock, maxPending: 5 });
});
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(extra: Record<string, string> = {}) {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const result = server.authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', aud: BASE, code_challenge: challenge, code_challenge_method: 'S256', ...extra });
  if (result.kind !== 'login') throw new Error(`authorize: ${JSON.stringify(result)}`);
  return result.request.id;
}

describe('pending authorizations and launch contexts', () => {
  it('expire, are purged, and are capped', async () => {
    const first = start();
    for (let i = 0; i < 3; i++) start();
    expect(server.held().pending).toBe(4);
    clock += 11 * 60_000; // past the 10 minutes given to sign in
    expect(await server.login(first, 'nobody', 'x')).toMatchObject({ kind: 'error-page' });
    start();
    expect(server.held().pending).toBe(1);

    // at most maxPending are held: the oldest is dropped to make room
    const oldest = start();
    for (let i = 0; i < 5; i++) start();
    expect(server.held().pending).toBe(5);
    expect(await server.login(oldest, 'nobody', 'x')).toMatchObject({ kind: 'error-page' });
  });

  it('a launch context expires after 5 minutes and is then purged', () => {
    const launch = server.registerLaunch({ patient: 'p1' });
    for (let i = 0; i < 2; i++) server.registerLaunch({ patient: 'p2' });
    expect(server.held().launches).toBe(3);
    expect(server.authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch patient/*.rs', aud: BASE, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', launch })).toMatchObject({ kind: 'login' });
    clock += 6 * 60_000;
    const late = server.authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch patient/*.rs', aud: BASE, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', launch });
    expect(late).toMatchObject({ kind: 'redirect' });
    expect(new URL((late as { url: string }).url).searchParams.get('error')).toBe('invalid_request');
    server.registerLaunch({ patient: 'p3' });
    expect(server.held().launches).toBe(1);
  });
});

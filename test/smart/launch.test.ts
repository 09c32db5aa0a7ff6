import { decodeJwt } from 'jose';
import { addPublicClient, addSecretClient, addUser, authorizeCode, basic, launch, pkce, signinCookie, startSmartServer, BASE, REDIRECT } from './helpers';

let t: Awaited<ReturnType<typeof startSmartServer>>;
beforeAll(async () => {
  t = await startSmartServer();
  addPublicClient(t.auth, 'app', 'launch/patient openid fhirUser offline_access patient/*.rs patient/Observation.cruds');
  await addUser(t.auth, 'ann', 'Patient/ann-1');
});
afterAll(() => t.close());

const authorize = (params: Record<string, string>) => {
  const { challenge } = pkce();
  return t.http.get('/auth/authorize').query({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'patient/*.rs', state: 's1', aud: BASE, code_challenge: challenge, code_challenge_method: 'S256', ...params });
};

describe('standalone launch: authorization code with PKCE', () => {
  it('issues tokens with patient context, fhirUser, id_token and a refresh token', async () => {
    const { status, body } = await launch(t, 'app', 'launch/patient openid fhirUser offline_access patient/*.rs', { username: 'ann' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', patient: 'ann-1', fhirUser: 'Patient/ann-1', need_patient_banner: true });
    expect(body.scope.split(' ').sort()).toEqual(['fhirUser', 'launch/patient', 'offline_access', 'openid', 'patient/*.rs']);
    expect(body.expires_in).toBeGreaterThan(0);
    expect(typeof body.refresh_token).toBe('string');
    const id = decodeJwt(body.id_token);
    expect(id).toMatchObject({ iss: BASE, aud: 'app', sub: 'Patient/ann-1', fhirUser: 'Patient/ann-1' });
  });

  it('lets the user approve a subset of the scopes', async () => {
    const { body } = await launch(t, 'app', 'launch/patient patient/*.rs patient/Observation.cruds', { username: 'ann' }, (s) => s.filter((x) => x !== 'patient/Observation.cruds'));
    expect(body.scope.split(' ').sort()).toEqual(['launch/patient', 'patient/*.rs']);
  });

  it('denial redirects with access_denied and the state', async () => {
    const page = await authorize({});
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
    const res = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'deny' });
    const url = new URL(res.headers.location);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('s1');
  });

  it('a wrong password shows the sign-in page again', async () => {
    const page = await authorize({});
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    const res = await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'wrong' });
    expect(res.text).toContain('Wrong user name or password');
  });

  it('an unknown client or a redirect_uri that is not registered gets an error page, never a redirect', async () => {
    const unknown = await authorize({ client_id: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.location).toBeUndefined();
    const redirect = await authorize({ redirect_uri: 'https://evil.example/cb' });
    expect(redirect.status).toBe(400);
    expect(redirect.headers.location).toBeUndefined();
  });

  it.each([
    ['no PKCE', { code_challenge: '' }, 'invalid_request'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a foreign aud', { aud: 'https://other.example/fhir' }, 'invalid_request'],
    ['a response_type other than code', { response_type: 'token' }, 'unsupported_response_type'],
    ['scopes the client may not have', { scope: 'system/*.cruds' }, 'invalid_scope'],
  ])('%s is refused with a redirect carrying the error and state', async (_what, params, error) => {
    const res = await authorize(params as Record<string, string>);
    expect(res.status).toBe(302);
    const url = new URL(res.headers.location);
    expect(url.searchParams.get('error')).toBe(error);
    expect(url.searchParams.get('state')).toBe('s1');
    expect(url.searchParams.get('code')).toBeNull();
  });

  it('refuses a wrong code_verifier, a reused code (revoking its tokens) and a changed redirect_uri', async () => {
    const first = await launch(t, 'app', 'launch/patient patient/*.rs', { username: 'ann' });
    const token = first.body.access_token;
    expect((await t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${token}`)).status).toBe(404); // allowed, not stored
    const reuse = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT, client_id: 'app', code_verifier: first.verifier });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${token}`)).status).toBe(401);

    const { challenge } = pkce();
    const page = await authorize({ code_challenge: challenge });
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
    const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:patient/*.rs': 'on' });
    const code = new URL(consent.headers.location).searchParams.get('code') as string;
    const otherRedirect = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.org/other', client_id: 'app', code_verifier: pkce().verifier });
    expect(otherRedirect.body.error).toBe('invalid_grant');
    const code2 = await freshCode();
    const wrong = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, client_id: 'app', code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
  });
});

async function freshCode(): Promise<string> {
  const page = await authorize({});
  const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
  const cookie = signinCookie(page);
  await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
  const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:patient/*.rs': 'on' });
  return new URL(consent.headers.location).searchParams.get('code') as string;
}

describe('refresh tokens', () => {
  it('rotates on use, keeps the scopes, may narrow but not widen them, and revokes the family on reuse', async () => {
    const { body } = await launch(t, 'app', 'launch/patient offline_access patient/*.rs patient/Observation.cruds', { username: 'ann' });
    const refresh = (token: string, extra: Record<string, string> = {}) =>
      t.http.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: token, client_id: 'app', ...extra });
    const r1 = await refresh(body.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.headers['cache-control']).toBe('no-store');
    expect(r1.body.scope).toBe(body.scope);
    expect(r1.body.refresh_token).not.toBe(body.refresh_token);
    expect((await refresh(r1.body.refresh_token, { scope: 'launch/patient offline_access patient/*.rs patient/Observation.cruds system/*.cruds' })).body.error).toBe('invalid_scope');
    // the refused widening did not spend the token: narrowing with it works
    const narrowed = await refresh(r1.body.refresh_token, { scope: 'patient/*.rs offline_access launch/patient' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('patient/*.rs offline_access launch/patient');
    expect((await t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${narrowed.body.access_token}`)).status).toBe(404);
    // replaying the first, rotated refresh token revokes the whole family
    const replay = await refresh(body.refresh_token);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await refresh(narrowed.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${narrowed.body.access_token}`)).status).toBe(401);
    expect((await refresh('random-token')).body.error).toBe('invalid_grant');
  });
});

describe('refresh without client_id (RFC 6749 §6, as fhirclient sends it)', () => {
  const refresh = (form: Record<string, string>, authorization?: string) => {
    const req = t.http.post('/auth/token').type('form');
    if (authorization) req.set('Authorization', authorization);
    return req.send({ grant_type: 'refresh_token', ...form });
  };

  it('a public client: the refresh token names its client; the new token works and the old one is spent', async () => {
    const { body } = await launch(t, 'app', 'launch/patient offline_access patient/*.rs', { username: 'ann' });
    const r1 = await refresh({ refresh_token: body.refresh_token });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ token_type: 'Bearer', scope: body.scope, patient: 'ann-1' });
    expect(decodeJwt(r1.body.access_token)).toMatchObject({ client_id: 'app' });
    expect((await t.http.get('/fhir/Patient?_id=ann-1').set('Authorization', `Bearer ${r1.body.access_token}`)).status).toBe(200);
    // rotated as with a client_id: the new refresh token works, the old one is a replay
    expect((await refresh({ refresh_token: r1.body.refresh_token })).status).toBe(200);
    expect((await refresh({ refresh_token: body.refresh_token })).body.error).toBe('invalid_grant');
  });

  it('an unknown refresh token is invalid_grant', async () => {
    const res = await refresh({ refresh_token: 'no-such-token' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('a confidential client still authenticates', async () => {
    const secret = await addSecretClient(t.auth, 'conf-app', 'launch/patient offline_access patient/*.rs');
    const { code, verifier } = await authorizeCode(t, 'conf-app', 'launch/patient offline_access patient/*.rs', { username: 'ann' });
    const tokens = await t.http.post('/auth/token').set('Authorization', basic('conf-app', secret)).type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(tokens.status).toBe(200);
    const bare = await refresh({ refresh_token: tokens.body.refresh_token });
    expect(bare.status).toBe(401);
    expect(bare.body).toMatchObject({ error: 'invalid_client', error_description: 'This client must authenticate' });
    // the refused request did not spend the token
    const authenticated = await refresh({ refresh_token: tokens.body.refresh_token }, basic('conf-app', secret));
    expect(authenticated.status).toBe(200);
    expect(authenticated.body.scope).toBe(tokens.body.scope);
  });
});

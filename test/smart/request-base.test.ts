import { addPublicClient, addUser, pkce, signinCookie, startSmartServer, REDIRECT } from './helpers';

/**
 * A SMART app that found the server at 127.0.0.1 (no FHIR_BASE_URL set) launches there: discovery
 * names the endpoints at that origin, `aud` may be that base, sign-in accepts posts from that origin.
 * A wrong `aud` is refused with the expected value named.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
const HOST = '127.0.0.1:8080';
const IP_BASE = `http://${HOST}/fhir`;
beforeAll(async () => {
  t = await startSmartServer({ FHIR_BASE_URL: '' });
  addPublicClient(t.auth, 'app', 'launch/patient offline_access patient/*.rs');
  await addUser(t.auth, 'ann', 'Patient/ann-1');
});
afterAll(() => t.close());

const authorize = (aud: string, challenge: string) =>
  t.http
    .get('/auth/authorize')
    .set('Host', HOST)
    .query({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', state: 's', aud, code_challenge: challenge, code_challenge_method: 'S256' });

describe('a launch by IP address', () => {
  it('discovery names the endpoints at the origin the app used; the issuer is the tokens\' issuer', async () => {
    const res = await t.http.get('/fhir/.well-known/smart-configuration').set('Host', HOST);
    expect(res.body).toMatchObject({
      issuer: 'http://localhost:8080/fhir',
      authorization_endpoint: `http://${HOST}/auth/authorize`,
      token_endpoint: `http://${HOST}/auth/token`,
    });
    const other = await t.http.get('/fhir/.well-known/smart-configuration').set('Host', 'evil.example.org');
    expect(other.body.token_endpoint).toBe('http://localhost:8080/auth/token');
  });

  it('the CapabilityStatement names the same endpoints and base', async () => {
    const res = await t.http.get('/fhir/metadata').set('Host', HOST);
    expect(res.body.implementation.url).toBe(IP_BASE);
    const uris = res.body.rest[0].security.extension[0].extension;
    expect(uris).toContainEqual({ url: 'token', valueUri: `http://${HOST}/auth/token` });
    expect(uris).toContainEqual({ url: 'authorize', valueUri: `http://${HOST}/auth/authorize` });
    const other = await t.http.get('/fhir/metadata').set('Host', 'evil.example.org');
    expect(other.body.implementation.url).toBe('http://localhost:8080/fhir');
  });

  it('goes through with aud at that base: sign-in, consent, code, token, a FHIR read', async () => {
    const { verifier, challenge } = pkce();
    const page = await authorize(IP_BASE, challenge);
    expect(page.status).toBe(200);
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    const login = await t.http.post('/auth/login').set('Host', HOST).set('Origin', `http://${HOST}`).set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
    expect(login.status).toBe(200);
    const consent = await t.http
      .post('/auth/consent')
      .set('Host', HOST)
      .set('Origin', `http://${HOST}`)
      .set('Cookie', cookie)
      .type('form')
      .send({ request, decision: 'approve', 'scope:launch/patient': 'on', 'scope:patient/*.rs': 'on' });
    const code = new URL(consent.headers.location).searchParams.get('code') as string;
    const token = await t.http.post('/auth/token').set('Host', HOST).type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'app', code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.body.patient).toBe('ann-1');
    const search = await t.http.get('/fhir/Observation').set('Host', HOST).set('Authorization', `Bearer ${token.body.access_token}`);
    expect(search.status).toBe(200);
    expect(search.body.link[0].url.startsWith(`${IP_BASE}/Observation`)).toBe(true);
  });

  it('a sign-in posted from another site is still refused', async () => {
    const { challenge } = pkce();
    const page = await authorize(IP_BASE, challenge);
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const res = await t.http.post('/auth/login').set('Host', HOST).set('Origin', 'https://evil.example.org').set('Cookie', signinCookie(page)).type('form').send({ request, username: 'ann', password: 'correct horse' });
    expect(res.status).toBe(403);
  });

  it('a wrong aud is refused, naming the expected value', async () => {
    const res = await authorize('http://elsewhere.example.org/fhir', pkce().challenge);
    const url = new URL(res.headers.location);
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toBe(`aud must be this FHIR server's base URL, ${IP_BASE}`);
  });

  it('the default base is accepted as aud too', async () => {
    expect((await authorize('http://localhost:8080/fhir', pkce().challenge)).status).toBe(200);
  });
});

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { addSecretClient, basic, startSmartServer, systemToken, BASE } from './helpers';

let t: Awaited<ReturnType<typeof startSmartServer>>;
let secret: string;
beforeAll(async () => {
  t = await startSmartServer();
  secret = await addSecretClient(t.auth, 'backend', 'system/*.rs system/Patient.cruds');
});
afterAll(() => t.close());

describe('SMART discovery', () => {
  it('serves .well-known/smart-configuration as JSON to any origin, with the fields SMART 2.x requires', async () => {
    const res = await t.http.get('/fhir/.well-known/smart-configuration').set('Origin', 'https://anywhere.example').set('Accept', 'application/fhir+xml');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toMatch(/https:\/\/anywhere\.example|\*/);
    const c = res.body;
    for (const url of ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'jwks_uri']) expect(c[url]).toMatch(/^http:\/\/localhost:8080\//);
    expect(c.issuer).toBe(BASE);
    expect(c.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']));
    expect(c.code_challenge_methods_supported).toEqual(['S256']);
    expect(c.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_basic']));
    expect(c.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
    expect(c.capabilities.every((x: unknown) => typeof x === 'string')).toBe(true);
    expect(c.capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'permission-v1', 'permission-v2', 'sso-openid-connect']));
    expect(c.scopes_supported.length).toBeGreaterThan(0);
    const jwks = await t.http.get('/auth/jwks');
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.body.keys[0].d).toBeUndefined();
  });

  it('keeps /metadata public and declares SMART in rest.security', async () => {
    const res = await t.http.get('/fhir/metadata');
    expect(res.status).toBe(200);
    const security = res.body.rest[0].security;
    expect(security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    const uris = security.extension[0].extension.map((e: { url: string }) => e.url);
    expect(uris).toEqual(expect.arrayContaining(['token', 'authorize']));
  });
});

describe('resource server', () => {
  it('answers 401 without a token, with a malformed one, or a token for another server; 403 outside the scopes', async () => {
    const none = await t.http.get('/fhir/Patient');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.body.resourceType).toBe('OperationOutcome');
    expect((await t.http.get('/fhir/Patient').set('Authorization', 'Bearer abc.def.ghi')).status).toBe(401);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ scope: 'system/*.cruds', client_id: 'backend' }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).setIssuer(BASE).setAudience(BASE).setJti('x').setExpirationTime('5m').sign(privateKey);
    expect((await t.http.get('/fhir/Patient').set('Authorization', `Bearer ${forged}`)).status).toBe(401);
    expect((await t.http.get('/fhir/Patient?access_token=whatever')).status).toBe(401);

    const token = await systemToken(t, 'backend', secret, 'system/*.rs');
    expect((await t.http.get('/fhir/Patient').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const write = await t.http.post('/fhir/Observation').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    expect(write.status).toBe(403);
    expect(write.headers['www-authenticate']).toMatch(/insufficient_scope/);
    // the audit trail needs a scope that names it
    expect((await t.http.get('/fhir/AuditEvent').set('Authorization', `Bearer ${token}`)).status).toBe(403);
  });

  it('stops accepting a revoked token, and introspection says so', async () => {
    const token = await systemToken(t, 'backend', secret, 'system/Patient.rs');
    const active = await t.http.post('/auth/introspect').set('Authorization', basic('backend', secret)).type('form').send({ token });
    expect(active.body).toMatchObject({ active: true, client_id: 'backend', scope: 'system/Patient.rs' });
    expect(active.body.exp).toBeGreaterThan(Date.now() / 1000);
    expect((await t.http.post('/auth/revoke').set('Authorization', basic('backend', secret)).type('form').send({ token })).status).toBe(200);
    expect((await t.http.get('/fhir/Patient').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    const inactive = await t.http.post('/auth/introspect').set('Authorization', basic('backend', secret)).type('form').send({ token });
    expect(inactive.body).toEqual({ active: false });
    expect((await t.http.post('/auth/introspect').type('form').send({ token })).status).toBe(401);
  });
});

describe('backend services: client_credentials', () => {
  it('issues a short-lived bearer token with no-store headers and only the registered scopes', async () => {
    const res = await t.http.post('/auth/token').set('Authorization', basic('backend', secret)).type('form').send({ grant_type: 'client_credentials', scope: 'system/Patient.rs system/Observation.c' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'system/Patient.rs' });
    expect(res.body.expires_in).toBeLessThanOrEqual(300);
    expect(res.body.refresh_token).toBeUndefined();
  });

  it.each([
    [{ grant_type: 'password', scope: 'system/*.rs' }, 400, 'unsupported_grant_type'],
    [{ grant_type: 'client_credentials', scope: 'system/Encounter.d' }, 400, 'invalid_scope'],
  ])('refuses %j', async (form, status, error) => {
    const res = await t.http.post('/auth/token').set('Authorization', basic('backend', secret)).type('form').send(form);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
  });

  it('refuses a wrong secret or an unknown client with invalid_client', async () => {
    const res = await t.http.post('/auth/token').set('Authorization', basic('backend', 'nope')).type('form').send({ grant_type: 'client_credentials', scope: 'system/*.rs' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect((await t.http.post('/auth/token').set('Authorization', basic('ghost', 'x')).type('form').send({ grant_type: 'client_credentials', scope: 'system/*.rs' })).body.error).toBe('invalid_client');
  });

  describe.each(['RS384', 'ES384'])('private_key_jwt with %s', (alg) => {
    let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
    const tokenUrl = 'http://localhost:8080/auth/token';
    const clientId = `asym-${alg}`;
    beforeAll(async () => {
      const pair = await generateKeyPair(alg, { extractable: true });
      key = pair.privateKey;
      t.auth.putClient({ id: clientId, name: clientId, type: 'confidential-asymmetric', redirectUris: [], scope: 'system/*.rs', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg }] } });
    });
    const assertion = (claims: { jti?: string; exp?: string | number; aud?: string; iss?: string } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' })
        .setIssuer(claims.iss ?? clientId)
        .setSubject(claims.iss ?? clientId)
        .setAudience(claims.aud ?? tokenUrl)
        .setJti(claims.jti ?? crypto.randomUUID())
        .setExpirationTime(claims.exp ?? '4m')
        .sign(key);
    const post = async (a: string, type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') =>
      t.http.post('/auth/token').type('form').send({ grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: type, client_assertion: a });

    it('issues a token for a valid assertion and refuses a replayed jti', async () => {
      const a = await assertion({ jti: `once-${alg}` });
      const ok = await post(a);
      expect(ok.status).toBe(200);
      expect(ok.body.scope).toBe('system/*.rs');
      const replay = await post(a);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_client');
    });

    it('refuses an exp more than 5 minutes ahead, a wrong audience, a wrong assertion type, alg none', async () => {
      expect((await post(await assertion({ exp: '10m' }))).body.error).toBe('invalid_client');
      expect((await post(await assertion({ aud: 'https://elsewhere.example/token' }))).body.error).toBe('invalid_client');
      expect((await post(await assertion(), 'urn:wrong')).status).toBe(400);
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const body = Buffer.from(JSON.stringify({ iss: clientId, sub: clientId, aud: tokenUrl, jti: 'n', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
      expect((await post(`${header}.${body}.`)).body.error).toBe('invalid_client');
    });
  });
});

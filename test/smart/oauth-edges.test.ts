import { decodeJwt } from 'jose';
import { addPublicClient, addSecretClient, addUser, authorizeCode, basic, exchangeCode, launch, pkce, startSmartServer, systemToken, BASE, REDIRECT } from './helpers';

/** The edges of the OAuth flows: what a client may ask for, replays, introspection, revocation, consent. */
let t: Awaited<ReturnType<typeof startSmartServer>>;
const secrets: Record<string, string> = {};
beforeAll(async () => {
  t = await startSmartServer();
  addPublicClient(t.auth, 'broad', 'launch/patient offline_access patient/*.rs');
  await addUser(t.auth, 'ann', 'Patient/ann-1');
  secrets.a = await addSecretClient(t.auth, 'backend-a', 'system/*.rs');
  secrets.b = await addSecretClient(t.auth, 'backend-b', 'system/*.rs');
  // a resource server: registered for introspection, and nothing else
  secrets.rs = await addSecretClient(t.auth, 'resource-server', 'introspect');
});
afterAll(() => t.close());

const authorize = (clientId: string, scope: string) =>
  t.http.get('/auth/authorize').query({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope, state: 's9', aud: BASE, code_challenge: pkce().challenge, code_challenge_method: 'S256' });

describe('granular scopes only as registered', () => {
  it('a client registered for patient/*.rs is not granted a granular scope it did not register', async () => {
    const { status, body } = await launch(t, 'broad', 'launch/patient patient/*.rs patient/Observation.rs?code=http://loinc.org|8867-4', { username: 'ann' });
    expect(status).toBe(200);
    expect(body.scope.split(' ').sort()).toEqual(['launch/patient', 'patient/*.rs']);
    expect(decodeJwt(body.access_token).scope).toBe(body.scope);
  });

  it('criteria with chains, _has or modifiers are refused at authorize with invalid_scope', async () => {
    for (const scope of ['patient/Observation.rs?focus:Patient.gender=male', 'patient/Patient.rs?_has:Observation:patient:code=1234', 'patient/Observation.rs?subject.name=smith']) {
      const res = await authorize('broad', `launch/patient ${scope}`);
      expect(res.status).toBe(302);
      const url = new URL(res.headers.location);
      expect(url.searchParams.get('error')).toBe('invalid_scope');
      expect(url.searchParams.get('error_description')).toContain('plain name=value');
      expect(url.searchParams.get('state')).toBe('s9');
    }
  });
});

describe('consent honours what the user unticked', () => {
  it('an unticked launch/patient gives no patient context', async () => {
    const { status, body } = await launch(t, 'broad', 'launch/patient patient/*.rs', { username: 'ann' }, (s) => s.filter((x) => x !== 'launch/patient'));
    expect(status).toBe(200);
    expect(body.scope).toBe('patient/*.rs');
    expect(body.patient).toBeUndefined();
    expect(body.need_patient_banner).toBeUndefined();
    expect(decodeJwt(body.access_token).patient).toBeUndefined();
    // without a patient, patient/ scopes reach nothing
    expect((await t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${body.access_token}`)).status).toBe(403);
  });

  it('a ticked launch/patient gives the signed-in patient', async () => {
    const { body } = await launch(t, 'broad', 'launch/patient patient/*.rs', { username: 'ann' });
    expect(body).toMatchObject({ patient: 'ann-1', need_patient_banner: true });
    expect(decodeJwt(body.access_token).patient).toBe('ann-1');
  });
});

describe('replay of a refresh token or a code', () => {
  const read = (token: string) => t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${token}`);
  const refresh = (token: string) => t.http.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: token, client_id: 'broad' });
  const expectRevoked = async (token: string) => {
    const res = await read(token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('revoked');
  };

  /** Of simultaneous uses of one grant, at least one is refused, and whatever any of them got is refused too. */
  const expectReplayHandled = async (results: { status: number; body: any }[]) => {
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) expect([r.status, r.body.error, r.body.access_token]).toEqual([400, 'invalid_grant', undefined]);
    for (const r of results.filter((x) => x.status === 200)) {
      await expectRevoked(r.body.access_token);
      expect((await refresh(r.body.refresh_token)).body.error).toBe('invalid_grant');
    }
  };

  it('two simultaneous uses of one refresh token: the whole family is revoked, the tokens of either use too', async () => {
    const { body } = await launch(t, 'broad', 'launch/patient offline_access patient/*.rs', { username: 'ann' });
    expect((await read(body.access_token)).status).toBe(404); // valid: allowed, not stored
    await expectReplayHandled(await Promise.all([refresh(body.refresh_token), refresh(body.refresh_token)]));
    await expectRevoked(body.access_token);
  });

  it('two simultaneous uses of one code: the tokens of either use are revoked', async () => {
    const { code, verifier } = await authorizeCode(t, 'broad', 'launch/patient offline_access patient/*.rs', { username: 'ann' });
    await expectReplayHandled(await Promise.all([exchangeCode(t, 'broad', code, verifier), exchangeCode(t, 'broad', code, verifier)]));
  });

  it('a code used again later revokes the tokens issued from it, and their refreshed successors', async () => {
    const { code, verifier } = await authorizeCode(t, 'broad', 'launch/patient offline_access patient/*.rs', { username: 'ann' });
    const first = await exchangeCode(t, 'broad', code, verifier);
    const rotated = await refresh(first.body.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await exchangeCode(t, 'broad', code, verifier)).body.error).toBe('invalid_grant');
    await expectRevoked(first.body.access_token);
    await expectRevoked(rotated.body.access_token);
    expect((await refresh(rotated.body.refresh_token)).body.error).toBe('invalid_grant');
  });
});

describe('introspection (RFC 7662): the token\'s own client, or a client registered for introspect', () => {
  const introspect = (authorization: string | undefined, token: string, form: Record<string, string> = {}) => {
    const req = t.http.post('/auth/introspect').type('form');
    return (authorization ? req.set('Authorization', authorization) : req).send({ token, ...form });
  };

  it('the client a token was issued to sees it active', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    const res = await introspect(basic('backend-a', secrets.a), token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ active: true, client_id: 'backend-a', scope: 'system/Patient.rs', token_type: 'Bearer' });
  });

  it('another client is told only active: false', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    const res = await introspect(basic('backend-b', secrets.b), token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: false });
  });

  it('a resource server registered with the introspect scope sees any token, patient context included', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    expect((await introspect(basic('resource-server', secrets.rs), token)).body).toMatchObject({ active: true, client_id: 'backend-a', scope: 'system/Patient.rs' });
    const app = (await launch(t, 'broad', 'launch/patient patient/*.rs', { username: 'ann' })).body.access_token;
    expect((await introspect(basic('resource-server', secrets.rs), app)).body).toMatchObject({ active: true, client_id: 'broad', patient: 'ann-1', scope: 'launch/patient patient/*.rs' });
  });

  it('a bearer token, a public client or no authentication at all gets 401 invalid_client', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    for (const res of [await introspect(`Bearer ${token}`, token), await introspect(undefined, token, { client_id: 'broad' }), await introspect(undefined, token), await introspect(basic('backend-b', 'wrong'), token)]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
      expect(res.body.active).toBeUndefined();
    }
  });
});

describe('revocation (RFC 7009): the client authenticates, and revokes only its own tokens', () => {
  const revoke = (authorization: string | undefined, form: Record<string, string>) => {
    const req = t.http.post('/auth/revoke').type('form');
    return (authorization ? req.set('Authorization', authorization) : req).send(form);
  };
  const works = async (token: string) => (await t.http.get('/fhir/Patient').set('Authorization', `Bearer ${token}`)).status;

  it('refuses a request without client authentication, and the token keeps working', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    for (const res of [await revoke(undefined, { token }), await revoke(basic('backend-a', 'wrong'), { token })]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    }
    expect(await works(token)).toBe(200);
  });

  it('refuses to revoke another client\'s token, confidential or public, and the token keeps working', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    for (const res of [await revoke(basic('backend-b', secrets.b), { token }), await revoke(undefined, { token, client_id: 'broad' })]) {
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
    expect(await works(token)).toBe(200);
  });

  it('a confidential client revokes its own access token', async () => {
    const token = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    expect((await revoke(basic('backend-a', secrets.a), { token })).status).toBe(200);
    expect(await works(token)).toBe(401);
  });

  it('a public client revokes its own refresh token by client_id, and with it the access tokens of the family', async () => {
    const { body } = await launch(t, 'broad', 'launch/patient offline_access patient/*.rs', { username: 'ann' });
    const other = await systemToken(t, 'backend-a', secrets.a, 'system/Patient.rs');
    expect((await revoke(undefined, { token: body.refresh_token, client_id: 'backend-a' })).status).toBe(401); // a confidential client must authenticate
    expect((await revoke(basic('backend-a', secrets.a), { token: body.refresh_token })).body.error).toBe('invalid_grant');
    expect((await revoke(undefined, { token: body.refresh_token, client_id: 'broad' })).status).toBe(200);
    const again = await t.http.post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'broad' });
    expect(again.body.error).toBe('invalid_grant');
    expect((await t.http.get('/fhir/Patient/ann-1').set('Authorization', `Bearer ${body.access_token}`)).status).toBe(401);
    expect(await works(other)).toBe(200);
  });

  it('an unknown token is answered 200, as RFC 7009 asks', async () => {
    expect((await revoke(basic('backend-a', secrets.a), { token: 'no-such-token' })).status).toBe(200);
  });
});

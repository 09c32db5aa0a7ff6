import { decodeJwt } from 'jose';
import { addPublicClient, addSecretClient, addUser, launch as standalone, pkce, signinCookie, startSmartServer, systemToken, BASE, REDIRECT } from './helpers';

/** SMART EHR launch: the EHR registers a context, the app passes its launch id, the token carries the context. */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let ehr: string;
beforeAll(async () => {
  t = await startSmartServer();
  ehr = await systemToken(t, 'ehr', await addSecretClient(t.auth, 'ehr', 'system/*.cruds'), 'system/*.cruds');
  addPublicClient(t.auth, 'ehr-app', 'launch openid fhirUser patient/*.rs');
  await addUser(t.auth, 'dr-chen', 'Practitioner/chen');
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  addPublicClient(t.auth, 'patient-app', 'launch/patient patient/*.rs user/*.rs');
  addPublicClient(t.auth, 'ehr-portal', 'openid fhirUser user/Patient.rs');
  await t.http.put('/fhir/Patient/pat-A').set('Authorization', `Bearer ${ehr}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'pat-A' });
  await t.http.put('/fhir/Patient/pat-E').set('Authorization', `Bearer ${ehr}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'pat-E' });
  // dr-chen cares for pat-E (and so may be launched into pat-E's record), not for pat-A
  const team = { resourceType: 'CareTeam', id: 'team-E', status: 'active', subject: { reference: 'Patient/pat-E' }, participant: [{ member: { reference: 'Practitioner/chen' } }] };
  await t.http.put('/fhir/CareTeam/team-E').set('Authorization', `Bearer ${ehr}`).set('Content-Type', 'application/fhir+json').send(team);
});
afterAll(() => t.close());

const authorize = (params: Record<string, string>) =>
  t.http.get('/auth/authorize').query({ response_type: 'code', client_id: 'ehr-app', redirect_uri: REDIRECT, scope: 'launch openid fhirUser patient/*.rs', state: 'e1', aud: BASE, code_challenge_method: 'S256', ...params });

describe('EHR launch', () => {
  it('binds the registered patient and encounter to the token', async () => {
    const launch = await t.http.post('/auth/launch').set('Authorization', `Bearer ${ehr}`).send({ patient: 'pat-E', encounter: 'enc-E' });
    expect(launch.status).toBe(200);
    const { verifier, challenge } = pkce();
    const page = await authorize({ launch: launch.body.launch, code_challenge: challenge });
    expect(page.status).toBe(200);
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'dr-chen', password: 'correct horse' });
    const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:launch': 'on', 'scope:openid': 'on', 'scope:fhirUser': 'on', 'scope:patient/*.rs': 'on' });
    const code = new URL(consent.headers.location).searchParams.get('code') as string;
    const token = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'ehr-app', code_verifier: verifier });
    expect(token.body).toMatchObject({ patient: 'pat-E', encounter: 'enc-E', need_patient_banner: true, fhirUser: 'Practitioner/chen' });
    expect((await t.http.get('/fhir/Patient/pat-E').set('Authorization', `Bearer ${token.body.access_token}`)).status).toBe(200);
  });

  it('an unticked launch scope gives no patient or encounter context', async () => {
    const launch = await t.http.post('/auth/launch').set('Authorization', `Bearer ${ehr}`).send({ patient: 'pat-E', encounter: 'enc-E' });
    const { verifier, challenge } = pkce();
    const page = await authorize({ launch: launch.body.launch, code_challenge: challenge });
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'dr-chen', password: 'correct horse' });
    const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:openid': 'on', 'scope:fhirUser': 'on', 'scope:patient/*.rs': 'on' });
    const code = new URL(consent.headers.location).searchParams.get('code') as string;
    const token = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'ehr-app', code_verifier: verifier });
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe('openid fhirUser patient/*.rs');
    expect(token.body.patient).toBeUndefined();
    expect(token.body.encounter).toBeUndefined();
    expect(token.body.need_patient_banner).toBeUndefined();
    expect(decodeJwt(token.body.access_token)).not.toHaveProperty('patient');
  });

  it('refuses an unknown launch id, and a launch without the launch scope', async () => {
    const unknown = await authorize({ launch: 'nope', code_challenge: pkce().challenge });
    expect(new URL(unknown.headers.location).searchParams.get('error')).toBe('invalid_request');
    const launch = (await t.http.post('/auth/launch').set('Authorization', `Bearer ${ehr}`).send({ patient: 'pat-E' })).body.launch;
    const noScope = await authorize({ launch, scope: 'patient/*.rs', code_challenge: pkce().challenge });
    expect(new URL(noScope.headers.location).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses launch context ids that are not FHIR ids, dots only among them', async () => {
    for (const patient of ['..', '.', 'a/b', 'x'.repeat(65)]) {
      const res = await t.http.post('/auth/launch').set('Authorization', `Bearer ${ehr}`).send({ patient });
      expect([patient, res.status, res.body.error]).toEqual([patient, 400, 'invalid_request']);
    }
    expect((await t.http.post('/auth/launch').set('Authorization', `Bearer ${ehr}`).send({ patient: 'pat-E', encounter: '..' })).status).toBe(400);
  });

  it('only a token allowed to read patients may register a launch', async () => {
    expect((await t.http.post('/auth/launch').send({ patient: 'pat-E' })).status).toBe(401);
  });
});

describe('who may register an EHR launch context', () => {
  const register = (token: string | undefined, body: object) => {
    const req = t.http.post('/auth/launch');
    return (token ? req.set('Authorization', `Bearer ${token}`) : req).send(body);
  };
  const expectRefused = (res: { status: number; body: any }, status: number, error: string) => {
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.body.launch).toBeUndefined();
  };

  it('a patient-scoped token may not register a launch, for another patient or its own', async () => {
    const { body } = await standalone(t, 'patient-app', 'launch/patient patient/*.rs', { username: 'ann' });
    expect(body.patient).toBe('pat-A');
    expectRefused(await register(body.access_token, { patient: 'pat-E' }), 403, 'insufficient_scope');
    expectRefused(await register(body.access_token, { patient: 'pat-A' }), 403, 'insufficient_scope');
  });

  it('nor may a user/ token of a user who is a patient', async () => {
    const { body } = await standalone(t, 'patient-app', 'user/*.rs', { username: 'ann' });
    expect(body.patient).toBeUndefined();
    expectRefused(await register(body.access_token, { patient: 'pat-E' }), 403, 'insufficient_scope');
  });

  it('a system token registers a launch for a patient it can read, and not for one it cannot', async () => {
    const ok = await register(ehr, { patient: 'pat-E' });
    expect(ok.status).toBe(200);
    expect(ok.body.launch).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expectRefused(await register(ehr, { patient: 'no-such-patient' }), 403, 'access_denied');
    const observationsOnly = await systemToken(t, 'obs-reader', await addSecretClient(t.auth, 'obs-reader', 'system/Observation.rs'), 'system/Observation.rs');
    expectRefused(await register(observationsOnly, { patient: 'pat-E' }), 403, 'insufficient_scope');
  });

  it('a practitioner\'s user/ token registers a launch for a patient the practitioner can read', async () => {
    const { body } = await standalone(t, 'ehr-portal', 'openid fhirUser user/Patient.rs', { username: 'dr-chen' });
    expect((await register(body.access_token, { patient: 'pat-E' })).body.launch).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expectRefused(await register(body.access_token, { patient: 'no-such-patient' }), 403, 'access_denied');
    // pat-A exists, but dr-chen does not care for pat-A
    expectRefused(await register(body.access_token, { patient: 'pat-A' }), 403, 'access_denied');
  });

  it('a practitioner who does not care for the launch patient is not entitled to it', async () => {
    const launch = (await register(ehr, { patient: 'pat-A' })).body.launch;
    const page = await authorize({ launch, code_challenge: pkce().challenge });
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'dr-chen', password: 'correct horse' });
    const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:launch': 'on', 'scope:patient/*.rs': 'on' });
    expect(new URL(consent.headers.location).searchParams.get('error')).toBe('access_denied');
  });

  it('the user who signs in must be entitled to the launch patient, or the app gets access_denied', async () => {
    const launch = (await register(ehr, { patient: 'pat-E' })).body.launch;
    const page = await authorize({ launch, code_challenge: pkce().challenge });
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
    const cookie = signinCookie(page);
    // ann is a patient: her own record is all she may read, not pat-E's
    await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
    const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:launch': 'on', 'scope:patient/*.rs': 'on' });
    expect(consent.status).toBe(302);
    const url = new URL(consent.headers.location);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('e1');
    expect(url.searchParams.get('code')).toBeNull();
  });
});

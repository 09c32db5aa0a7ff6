import { addPublicClient, addSecretClient, addUser, pkce, startSmartServer, systemToken, BASE, REDIRECT } from './helpers';

/** SMART EHR launch: the EHR registers a context, the app passes its launch id, the token carries the context. */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let ehr: string;
beforeAll(async () => {
  t = await startSmartServer();
  ehr = await systemToken(t, 'ehr', await addSecretClient(t.auth, 'ehr', 'system/*.cruds'), 'system/*.cruds');
  addPublicClient(t.auth, 'ehr-app', 'launch openid fhirUser patient/*.rs');
  await addUser(t.auth, 'dr-chen', 'Practitioner/chen');
  await t.http.put('/fhir/Patient/pat-E').set('Authorization', `Bearer ${ehr}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'pat-E' });
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
    await t.http.post('/auth/login').type('form').send({ request, username: 'dr-chen', password: 'correct horse' });
    const consent = await t.http.post('/auth/consent').type('form').send({ request, decision: 'approve', 'scope:launch': 'on', 'scope:openid': 'on', 'scope:fhirUser': 'on', 'scope:patient/*.rs': 'on' });
    const code = new URL(consent.headers.location).searchParams.get('code') as string;
    const token = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'ehr-app', code_verifier: verifier });
    expect(token.body).toMatchObject({ patient: 'pat-E', encounter: 'enc-E', need_patient_banner: true, fhirUser: 'Practitioner/chen' });
    expect((await t.http.get('/fhir/Patient/pat-E').set('Authorization', `Bearer ${token.body.access_token}`)).status).toBe(200);
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

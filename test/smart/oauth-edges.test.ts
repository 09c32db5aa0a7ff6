import { decodeJwt } from 'jose';
import { addPublicClient, addUser, launch, pkce, startSmartServer, BASE, REDIRECT } from './helpers';

/** The edges of the OAuth flows: what a client may ask for, replays, introspection, revocation, consent. */
let t: Awaited<ReturnType<typeof startSmartServer>>;
beforeAll(async () => {
  t = await startSmartServer();
  addPublicClient(t.auth, 'broad', 'launch/patient offline_access patient/*.rs');
  await addUser(t.auth, 'ann', 'Patient/ann-1');
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

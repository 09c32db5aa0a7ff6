import { withBearer } from '../helpers/server';
import { addPublicClient, addSecretClient, addUser, launch, startSmartServer, systemToken } from '../smart/helpers';
import { backportSubscription, eventNumbers, FAST, observation, startReceiver, statusOf, waitFor } from './helpers';

/**
 * A subscription is bound to the grant of the token that created it: a patient app's subscription
 * carries only its patient's events, full resources only as that grant may read them; confined
 * grants see only their own subscriptions; a revoked client's subscriptions stop.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let patientToken: string;

const as = (bearer: string) => withBearer(t.http, bearer);

beforeAll(async () => {
  t = await startSmartServer(FAST);
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  for (const p of ['pat-A', 'pat-B']) await as(admin).put(`/fhir/Patient/${p}`, { resourceType: 'Patient', id: p });
  const scope = 'launch/patient patient/Observation.rs patient/Subscription.cruds';
  addPublicClient(t.auth, 'app', scope);
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  patientToken = (await launch(t, 'app', scope, { username: 'ann' })).body.access_token;
});
afterAll(() => t.close());

describe('a patient app subscription', () => {
  it('never receives another person\'s events, and carries its owner', async () => {
    const rx = await startReceiver();
    try {
      // no filter at all: the grant alone confines it
      const created = await as(patientToken).post('/fhir/Subscription', backportSubscription(rx.url, { content: 'full-resource' }));
      expect(created.status).toBe(201);
      const owner = created.body.extension.find((e: any) => e.url.endsWith('/subscription-owner'));
      expect(Object.fromEntries(owner.extension.map((e: any) => [e.url, e.valueString]))).toMatchObject({ client: 'app', patient: 'pat-A' });
      await waitFor('handshake', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      const other = (await as(admin).post('/fhir/Observation', observation('pat-B', '8867-4', 130))).body;
      const own = (await as(admin).post('/fhir/Observation', observation('pat-A', '8867-4', 70))).body;
      await waitFor('own event', () => eventNumbers(rx.accepted).length >= 1);
      await new Promise((r) => setTimeout(r, 400));
      const notes = rx.accepted.filter((r) => statusOf(r.body).type === 'event-notification');
      expect(eventNumbers(notes)).toEqual([1]);
      expect(notes[0].body.entry[1].resource).toMatchObject({ id: own.id, subject: { reference: 'Patient/pat-A' } });
      expect(JSON.stringify(rx.received.map((r) => r.body))).not.toContain(other.id);
      expect(JSON.stringify(rx.received.map((r) => r.body))).not.toContain('pat-B');
    } finally {
      await rx.close();
    }
  });

  it('a client cannot forge the owner, and confined grants see only their own subscriptions', async () => {
    const forged = backportSubscription('http://127.0.0.1:9/hook') as any;
    forged.extension = [{ url: 'http://insured.example.org/fhir/StructureDefinition/subscription-owner', extension: [{ url: 'client', valueString: 'admin' }, { url: 'scope', valueString: 'system/*.cruds' }] }];
    const res = await as(patientToken).post('/fhir/Subscription', forged);
    expect(res.status).toBe(201);
    const owner = res.body.extension.find((e: any) => e.url.endsWith('/subscription-owner'));
    expect(owner.extension.find((e: any) => e.url === 'client').valueString).toBe('app');
    const theirs = (await as(admin).post('/fhir/Subscription', backportSubscription('http://127.0.0.1:9/hook'))).body;
    expect((await as(patientToken).get(`/fhir/Subscription/${theirs.id}`)).status).toBe(404);
    expect((await as(patientToken).get(`/fhir/Subscription/${theirs.id}/$status`)).status).toBe(404);
    const listed = (await as(patientToken).get('/fhir/Subscription')).body.entry.map((e: any) => e.resource.id);
    expect(listed).toContain(res.body.id);
    expect(listed).not.toContain(theirs.id);
  });

  it('stops when its client is removed', async () => {
    const rx = await startReceiver();
    try {
      const scope = 'launch/patient patient/Observation.rs patient/Subscription.cruds';
      addPublicClient(t.auth, 'app2', scope);
      const token = (await launch(t, 'app2', scope, { username: 'ann' })).body.access_token;
      const id = (await as(token).post('/fhir/Subscription', backportSubscription(rx.url, { content: 'id-only' }))).body.id;
      await waitFor('handshake', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      t.auth.removeClient('app2');
      await as(admin).post('/fhir/Observation', observation('pat-A'));
      let s: any;
      for (let i = 0; i < 60 && s?.status !== 'error'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        s = (await as(admin).get(`/fhir/Subscription/${id}`)).body;
      }
      expect(s.status).toBe('error');
      expect(s.error).toMatch(/no longer authorized/);
      expect(rx.received.filter((r) => statusOf(r.body).type === 'event-notification')).toHaveLength(0);
    } finally {
      await rx.close();
    }
  });
});

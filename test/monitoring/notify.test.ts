import { withBearer } from '../helpers/server';
import { addPublicClient, addSecretClient, addUser, launch, startSmartServer, systemToken } from '../smart/helpers';
import { backportSubscription, FAST, startReceiver, statusOf, waitFor } from '../subscriptions/helpers';
import { alertsOf, bloodPressure, reading, TOPIC_HEALTH_ALERT } from './helpers';

/**
 * Alerts are the person's own records: a patient token sees its alerts and no one else's; and a
 * subscription to the health-alert topic is notified through the subscription machinery when one is
 * raised, on a real HTTP receiver on loopback.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let patientA: string;

const as = (bearer: string) => withBearer(t.http, bearer);

beforeAll(async () => {
  t = await startSmartServer(FAST);
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  for (const p of ['pat-A', 'pat-B']) expect((await as(admin).put(`/fhir/Patient/${p}`, { resourceType: 'Patient', id: p })).status).toBe(201);
  const scope = 'launch/patient patient/*.rs patient/Subscription.cruds';
  addPublicClient(t.auth, 'app', scope);
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  patientA = (await launch(t, 'app', scope, { username: 'ann' })).body.access_token;
});
afterAll(() => t.close());

describe('a patient token', () => {
  it('sees its own alerts and not another person’s', async () => {
    await as(admin).post('/fhir/Observation', reading('pat-A', '59408-5', 86, '%'));
    await as(admin).post('/fhir/Observation', reading('pat-B', '59408-5', 87, '%'));
    const [own] = await alertsOf(t, 'DetectedIssue', 'pat-A', admin);
    const [other] = await alertsOf(t, 'DetectedIssue', 'pat-B', admin);
    expect(own.patient.reference).toBe('Patient/pat-A');
    expect(other.patient.reference).toBe('Patient/pat-B');

    const issues = await as(patientA).get('/fhir/DetectedIssue');
    expect(issues.status).toBe(200);
    expect(issues.body.entry.map((e: any) => e.resource.id)).toEqual([own.id]);
    const flags = await as(patientA).get('/fhir/Flag');
    expect(flags.body.entry.map((e: any) => e.resource.subject.reference)).toEqual(['Patient/pat-A']);
    expect((await as(patientA).get(`/fhir/DetectedIssue/${own.id}`)).status).toBe(200);
    expect((await as(patientA).get(`/fhir/DetectedIssue/${other.id}`)).status).toBe(404);
    expect((await as(patientA).get(`/fhir/Flag/${other.id}`)).status).toBe(404);
    expect((await as(patientA).get('/fhir/DetectedIssue?patient=Patient/pat-B')).body.entry ?? []).toEqual([]);
  });
});

describe('the health-alert topic', () => {
  it('notifies a subscriber of a blood-pressure alert raised for its patient, with the alert itself', async () => {
    const rx = await startReceiver();
    try {
      const sub = await as(patientA).post(
        '/fhir/Subscription',
        backportSubscription(rx.url, { topic: TOPIC_HEALTH_ALERT, filters: ['DetectedIssue?patient=Patient/pat-A&code=http://loinc.org|8480-6'], content: 'full-resource' })
      );
      expect(sub.status).toBe(201);
      await waitFor('handshake', () => rx.received.find((r) => statusOf(r.body).type === 'handshake'));
      for (let i = 0; (await as(admin).get(`/fhir/Subscription/${sub.body.id}`)).body.status !== 'active'; i++) {
        if (i > 100) throw new Error('the subscription did not become active');
        await new Promise((r) => setTimeout(r, 50));
      }
      // another person's crisis and the patient's own non-blood-pressure alert are not for this subscription
      await as(admin).post('/fhir/Observation', bloodPressure('pat-B', 200, 125));
      await as(admin).post('/fhir/Observation', reading('pat-A', '8867-4', 150, '/min'));
      const obs = (await as(admin).post('/fhir/Observation', bloodPressure('pat-A', 190, 100))).body;
      const note = await waitFor('alert notification', () => rx.accepted.find((r) => statusOf(r.body).type === 'event-notification'), 15_000);
      const status = statusOf(note.body);
      expect(status.topic).toBe(TOPIC_HEALTH_ALERT);
      expect(status.events).toHaveLength(1);
      const issue = note.body.entry[1].resource;
      expect(issue).toMatchObject({
        resourceType: 'DetectedIssue',
        patient: { reference: 'Patient/pat-A' },
        code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        evidence: [{ detail: [{ reference: `Observation/${obs.id}` }] }],
      });
      expect(status.events[0].focus).toBe(`${t.config.baseUrl}/DetectedIssue/${issue.id}`);
      await new Promise((r) => setTimeout(r, 500));
      const all = JSON.stringify(rx.received.map((r) => r.body));
      expect(all).not.toContain('pat-B');
      expect(rx.accepted.filter((r) => statusOf(r.body).type === 'event-notification')).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });
});

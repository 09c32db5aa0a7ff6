import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';
import { backportSubscription, FAST, observation, startReceiver, statusOf, waitFor } from '../subscriptions/helpers';

/** Every subscription notification sent (handshake, heartbeat, event; accepted or not) is an AuditEvent. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ ...FAST, FHIR_AUDIT: 'on' });
  await t.http.put('/fhir/Patient/p1').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: 'p1' });
});
afterAll(() => t.close());

async function notificationEvents(subscription: string): Promise<any[]> {
  await t.server.flushAudit();
  const res = await t.http.get(`/fhir/AuditEvent?entity=Subscription/${subscription}&_count=1000`);
  return (res.body.entry ?? []).map((e: any) => e.resource).sort((a: any, b: any) => a.recorded.localeCompare(b.recorded));
}

it('records handshake, a refused and an accepted event notification, and heartbeats, with the endpoint origin only', async () => {
  // the first event notification is answered 500, its retry 200
  let refused = 0;
  const rx = await startReceiver((r) => (statusOf(r.body).type === 'event-notification' && refused++ === 0 ? 500 : 200));
  try {
    const sub = await t.http.post('/fhir/Subscription').set('Content-Type', FHIR_JSON).send(backportSubscription(rx.url, { content: 'id-only', heartbeat: 1, headers: ['Authorization: Bearer receiver-secret'] }));
    expect(sub.status).toBe(201);
    const id = sub.body.id as string;
    await waitFor('handshake', () => rx.accepted.length >= 1);
    for (let i = 0; i < 40 && (await t.http.get(`/fhir/Subscription/${id}`)).body.status !== 'active'; i++) await new Promise((r) => setTimeout(r, 50));
    const obs = (await t.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(observation('p1'))).body;
    await waitFor('the event accepted', () => rx.accepted.some((r) => statusOf(r.body).type === 'event-notification'));
    await waitFor('a heartbeat', () => rx.accepted.some((r) => statusOf(r.body).type === 'heartbeat'), 5000);

    // a notification's event is queued once its answer is in, a moment after the receiver saw it
    let events = await notificationEvents(id);
    const byType = (code: string) => events.filter((e) => e.subtype[0].code === code);
    for (let i = 0; i < 50 && byType('subscription-heartbeat').length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = await notificationEvents(id);
    }
    expect(byType('subscription-handshake').map((e) => e.outcome)).toEqual(['0']);
    expect(byType('subscription-heartbeat').length).toBeGreaterThanOrEqual(1);
    const notes = byType('subscription-event-notification');
    expect(notes.map((e) => [e.outcome, e.outcomeDesc.split(';')[0]])).toEqual([
      ['8', 'HTTP 500'],
      ['0', 'HTTP 200'],
    ]);
    for (const e of notes) {
      expect(e.type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106' });
      expect(e.entity.map((x: any) => x.what.reference)).toEqual(['Patient/p1', `Subscription/${id}`, `Observation/${obs.id}/_history/1`]);
      expect(e.entity[0].role.code).toBe('1');
      expect(e.agent[1]).toMatchObject({ who: { display: new URL(rx.url).origin }, requestor: false, network: { address: '127.0.0.1', type: '2' } });
    }
    // the endpoint's path and headers are not in the trail
    for (const e of events) expect(JSON.stringify(e)).not.toMatch(/receiver-secret|\/hook/);
    expect(byType('subscription-handshake')[0].entity.map((x: any) => x.what.reference)).toEqual([`Subscription/${id}`]);
    // the patient's own log shows the notifications about their records
    const mine = (await t.http.get(`/fhir/AuditEvent?patient=Patient/p1&_count=1000`)).body.entry.map((e: any) => e.resource.subtype[0].code);
    expect(mine.filter((c: string) => c === 'subscription-event-notification')).toHaveLength(2);
    await t.http.put(`/fhir/Subscription/${id}`).set('Content-Type', FHIR_JSON).send({ ...(await t.http.get(`/fhir/Subscription/${id}`)).body, status: 'off' });
  } finally {
    await rx.close();
  }
});

/** With the trail's database full (SQLite's max_page_count), no notification goes out until it can be recorded again. */
const embedded = !process.env.FHIR_TEST_STORE;
(embedded ? describe : describe.skip)('while the audit trail cannot be written', () => {
  let f: TestServer;
  beforeAll(async () => {
    f = await startTestServer({ ...FAST, FHIR_AUDIT: 'on' }, { auditWorker: true });
  });
  afterAll(() => f.close());

  // filling the trail, two heartbeat periods of silence and the recovery take several seconds, more on a busy machine
  it('sends no notification, and sends again once it can be recorded', async () => {
    const rx = await startReceiver();
    try {
      const sub = await f.http.post('/fhir/Subscription').set('Content-Type', FHIR_JSON).send(backportSubscription(rx.url, { content: 'empty', heartbeat: 1 }));
      expect(sub.status).toBe(201);
      await waitFor('a heartbeat', () => rx.accepted.some((r) => statusOf(r.body).type === 'heartbeat'), 5000);
      await f.server.audit?.sink.limitPages?.(0);
      // the first notifications' events meet the full database; from then on the trail is unavailable
      // (the writer appends on its own timer; waiting on a flush here could wait on the stalled batch itself)
      for (let i = 0; i < 200 && (await f.http.get('/healthz')).status !== 503; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await f.http.get('/healthz')).body.audit).toBe('unavailable');
      const during = rx.received.length;
      await new Promise((r) => setTimeout(r, 2500));
      // two heartbeat periods went by: nothing was sent
      expect(rx.received.length).toBe(during);

      await f.server.audit?.sink.limitPages?.(undefined);
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        await new Promise((r) => setTimeout(r, 100));
        back = (await f.http.get('/healthz')).status === 200;
      }
      expect(back).toBe(true);
      await waitFor('a heartbeat after recovery', () => rx.received.length > during, 5000);
    } finally {
      await rx.close();
    }
  }, 90_000);
});

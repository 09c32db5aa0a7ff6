import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';
import { backportSubscription, eventNumbers, FAST, observation, startReceiver, statusOf, TOPIC_ENCOUNTER_START, TOPIC_HEALTH_ALERT, TOPIC_OBSERVATION, waitFor } from './helpers';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(FAST);
  for (const p of ['p1', 'p2']) await t.http.put(`/fhir/Patient/${p}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: p });
});
afterAll(() => t.close());

const post = (url: string, body: unknown) => t.http.post(url).set('Content-Type', FHIR_JSON).send(body as object);
async function subscribe(body: object) {
  const res = await post('/fhir/Subscription', body);
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const statusOfSub = async (id: string) => (await t.http.get(`/fhir/Subscription/${id}`)).body.status as string;

describe('topics are discoverable', () => {
  it('as Basic resources and in the CapabilityStatement', async () => {
    const res = await t.http.get('/fhir/Basic?code=SubscriptionTopic');
    const urls = res.body.entry.map((e: any) => e.resource.extension.find((x: any) => x.url.endsWith('SubscriptionTopic.url')).valueUri).sort();
    expect(urls).toEqual([TOPIC_ENCOUNTER_START, TOPIC_HEALTH_ALERT, TOPIC_OBSERVATION]);
    const cs = (await t.http.get('/fhir/metadata')).body;
    const sub = cs.rest[0].resource.find((r: any) => r.type === 'Subscription');
    expect(sub.extension.map((e: any) => e.valueCanonical).sort()).toEqual([TOPIC_ENCOUNTER_START, TOPIC_HEALTH_ALERT, TOPIC_OBSERVATION]);
    expect(sub.operation.map((o: any) => o.name).sort()).toEqual(expect.arrayContaining(['events', 'status']));
  });
});

describe('a topic-based rest-hook subscription', () => {
  it('handshakes, becomes active, notifies with full resources, heartbeats, and stops when off', async () => {
    const rx = await startReceiver();
    try {
      const id = await subscribe(backportSubscription(rx.url, { content: 'full-resource', heartbeat: 1, filters: ['Observation?patient=Patient/p1'], headers: ['Authorization: Bearer receiver-secret'] }));
      const handshake = await waitFor('handshake', () => rx.received[0]);
      expect(handshake.method).toBe('POST');
      expect(handshake.headers['content-type']).toMatch(/application\/fhir\+json/);
      expect(handshake.headers.authorization).toBe('Bearer receiver-secret');
      expect(handshake.body.resourceType).toBe('Bundle');
      expect(handshake.body.type).toBe('history');
      expect(statusOf(handshake.body)).toMatchObject({ type: 'handshake', topic: TOPIC_OBSERVATION, subscription: `http://localhost:8080/fhir/Subscription/${id}`, 'events-since-subscription-start': '0' });
      for (let i = 0; i < 40 && (await statusOfSub(id)) !== 'active'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await statusOfSub(id)).toBe('active');

      const mine = (await post('/fhir/Observation', observation('p1'))).body;
      await post('/fhir/Observation', observation('p2')); // filtered out
      const updated = (await t.http.put(`/fhir/Observation/${mine.id}`).set('Content-Type', FHIR_JSON).send({ ...mine, valueQuantity: { ...mine.valueQuantity, value: 99 } })).body;
      await waitFor('two events', () => eventNumbers(rx.received).length >= 2);
      const notes = rx.received.filter((r) => statusOf(r.body).type === 'event-notification');
      expect(eventNumbers(notes)).toEqual([1, 2]);
      const [first, second] = notes.map((r) => r.body);
      expect(statusOf(first).events[0].focus).toBe(`http://localhost:8080/fhir/Observation/${mine.id}`);
      expect(first.entry[1]).toMatchObject({ fullUrl: `http://localhost:8080/fhir/Observation/${mine.id}`, request: { method: 'POST' }, resource: { id: mine.id, subject: { reference: 'Patient/p1' } } });
      expect(second.entry[1]).toMatchObject({ request: { method: 'PUT', url: `Observation/${mine.id}` }, resource: { meta: { versionId: updated.meta.versionId }, valueQuantity: { value: 99 } } });
      expect(statusOf(second)['events-since-subscription-start']).toBe('2');

      // heartbeats, with the count so far and no events
      const hb = await waitFor('heartbeat', () => rx.received.find((r) => statusOf(r.body).type === 'heartbeat'), 5000);
      expect(statusOf(hb.body)).toMatchObject({ status: 'active', 'events-since-subscription-start': '2' });
      expect(hb.body.entry).toHaveLength(1);

      // $status and $events
      const st = await t.http.get(`/fhir/Subscription/${id}/$status`);
      expect(st.status).toBe(200);
      expect(st.body.type).toBe('searchset');
      expect(statusOf(st.body)).toMatchObject({ type: 'query-status', status: 'active', 'events-since-subscription-start': '2' });
      const ev = await t.http.get(`/fhir/Subscription/${id}/$events?eventsSinceNumber=2&content=id-only`);
      expect(statusOf(ev.body)).toMatchObject({ type: 'query-event' });
      expect(statusOf(ev.body).events.map((e: any) => e['event-number'])).toEqual(['2']);
      expect(ev.body.entry[1].resource).toBeUndefined();
      expect(ev.body.entry[1].fullUrl).toBe(`http://localhost:8080/fhir/Observation/${mine.id}`);

      // off: nothing more
      const current = (await t.http.get(`/fhir/Subscription/${id}`)).body;
      expect((await t.http.put(`/fhir/Subscription/${id}`).set('Content-Type', FHIR_JSON).send({ ...current, status: 'off' })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
      const before = rx.received.length;
      await post('/fhir/Observation', observation('p1'));
      await new Promise((r) => setTimeout(r, 1500));
      expect(rx.received.length).toBe(before);
    } finally {
      await rx.close();
    }
  });

  it.each([
    ['empty', (b: any) => expect(b.entry).toHaveLength(1)],
    ['id-only', (b: any) => expect(b.entry[1].resource).toBeUndefined()],
    ['full-resource', (b: any) => expect(b.entry[1].resource.resourceType).toBe('Observation')],
  ])('payload %s', async (content, check) => {
    const rx = await startReceiver();
    try {
      await subscribe(backportSubscription(rx.url, { content, filters: ['Observation?code=http://loinc.org|29463-7'] }));
      await waitFor('handshake', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      const obs = (await post('/fhir/Observation', observation('p1', '29463-7', 70))).body;
      const note = await waitFor('event', () => rx.received.find((r) => statusOf(r.body).type === 'event-notification'));
      const s = statusOf(note.body);
      expect(s.events[0]['event-number']).toBe('1');
      if (content === 'empty') expect(s.events[0].focus).toBeUndefined();
      else expect(s.events[0].focus).toBe(`http://localhost:8080/fhir/Observation/${obs.id}`);
      check(note.body);
    } finally {
      await rx.close();
    }
  });

  it('encounter-start fires only when an Encounter becomes in-progress', async () => {
    const rx = await startReceiver();
    try {
      await subscribe(backportSubscription(rx.url, { topic: TOPIC_ENCOUNTER_START, content: 'id-only' }));
      await waitFor('handshake', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      const planned = (await post('/fhir/Encounter', { resourceType: 'Encounter', status: 'planned', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } })).body;
      const started = (await t.http.put(`/fhir/Encounter/${planned.id}`).set('Content-Type', FHIR_JSON).send({ ...planned, status: 'in-progress' })).body;
      await t.http.put(`/fhir/Encounter/${planned.id}`).set('Content-Type', FHIR_JSON).send({ ...started, status: 'in-progress', serviceType: { text: 'still in progress' } });
      const direct = (await post('/fhir/Encounter', { resourceType: 'Encounter', status: 'in-progress', class: { code: 'AMB' }, subject: { reference: 'Patient/p2' } })).body;
      await waitFor('two events', () => eventNumbers(rx.received).length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      const notes = rx.received.filter((r) => statusOf(r.body).type === 'event-notification');
      expect(eventNumbers(notes)).toEqual([1, 2]);
      expect(notes.map((n) => statusOf(n.body).events[0].focus)).toEqual([`http://localhost:8080/fhir/Encounter/${planned.id}`, `http://localhost:8080/fhir/Encounter/${direct.id}`]);
      expect(notes[0].body.entry[1].request.method).toBe('PUT');
    } finally {
      await rx.close();
    }
  });

  it('a handshake the endpoint refuses leaves the subscription in error', async () => {
    const rx = await startReceiver(() => 500);
    try {
      const id = await subscribe(backportSubscription(rx.url));
      await waitFor('handshake', () => rx.received[0]);
      for (let i = 0; i < 40 && (await statusOfSub(id)) !== 'error'; i++) await new Promise((r) => setTimeout(r, 50));
      const s = (await t.http.get(`/fhir/Subscription/${id}`)).body;
      expect(s.status).toBe('error');
      expect(s.error).toMatch(/Handshake failed: HTTP 500/);
    } finally {
      await rx.close();
    }
  });
});

describe('what cannot be honoured is refused at create', () => {
  const rx = 'http://127.0.0.1:9/hook';
  it.each([
    ['an unknown topic', backportSubscription(rx, { topic: 'http://example.org/no-such-topic' }), /no SubscriptionTopic/],
    ['a websocket channel', { ...backportSubscription(rx), channel: { type: 'websocket', payload: 'application/fhir+json' } }, /websocket is not supported/],
    ['an XML payload', backportSubscription(rx, { payload: 'application/fhir+xml' }), /Payload type/],
    ['an unknown content code', backportSubscription(rx, { content: 'everything' }), /Payload content/],
    ['a filter the topic does not offer', backportSubscription(rx, { filters: ['Observation?status=final'] }), /cannot filter Observation by status/],
    ['a filter on another type', backportSubscription(rx, { filters: ['Patient?name=x'] }), /takes no filters on Patient/],
    ['a plain-http endpoint off this machine', backportSubscription('http://10.1.2.3/hook'), /must use https/],
    ['an endpoint with credentials in its URL', backportSubscription('https://user:secret@receiver.example.org/hook'), /carries credentials/],
    ['classic criteria on an unknown parameter', { resourceType: 'Subscription', status: 'requested', reason: 'x', criteria: 'Observation?nonsense=1', channel: { type: 'rest-hook', endpoint: rx } }, /cannot be used/],
  ])('%s', async (_what, body, message) => {
    const res = await post('/fhir/Subscription', body);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(message);
  });
});

describe('classic R4 criteria on rest-hook', () => {
  it('become active without a handshake and PUT the matching resource to the endpoint', async () => {
    const rx = await startReceiver();
    try {
      const id = await subscribe({ resourceType: 'Subscription', status: 'requested', reason: 'classic', criteria: 'Observation?code=http://loinc.org|2339-0', channel: { type: 'rest-hook', endpoint: rx.url, payload: 'application/fhir+json' } });
      for (let i = 0; i < 40 && (await statusOfSub(id)) !== 'active'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await statusOfSub(id)).toBe('active');
      await post('/fhir/Observation', observation('p1', '8867-4'));
      const glucose = (await post('/fhir/Observation', observation('p1', '2339-0', 5.1))).body;
      const got = await waitFor('notification', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.received).toHaveLength(1);
      expect(got.method).toBe('PUT');
      expect(got.url).toBe(`/hook/Observation/${glucose.id}`);
      expect(got.body).toMatchObject({ resourceType: 'Observation', id: glucose.id, valueQuantity: { value: 5.1 } });
    } finally {
      await rx.close();
    }
  });
});

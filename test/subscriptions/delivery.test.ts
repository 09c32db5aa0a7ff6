import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';
import { backportSubscription, eventNumbers, FAST, observation, startReceiver, statusOf, waitFor } from './helpers';

/** Delivery never loses an event: retries with backoff until the endpoint recovers, in order; past the window, status error. */
const post = (t: TestServer, url: string, body: unknown) => t.http.post(url).set('Content-Type', FHIR_JSON).send(body as object);

describe('a receiver that fails for a while, then recovers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(FAST);
  });
  afterAll(() => t.close());

  it('gets every event, in order, each accepted once', async () => {
    // the handshake passes; the next 6 requests fail
    const rx = await startReceiver((_r, n) => (n >= 2 && n <= 7 ? 503 : 200));
    try {
      const res = await post(t, '/fhir/Subscription', backportSubscription(rx.url, { content: 'id-only', maxCount: 2 }));
      await waitFor('handshake', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await post(t, '/fhir/Observation', observation('p1', '8867-4', 60 + i))).body.id);
      await waitFor('all accepted', () => eventNumbers(rx.accepted).length >= 7, 15_000);
      expect(eventNumbers(rx.accepted)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // the failed attempts were retried, not skipped
      expect(rx.received.length).toBeGreaterThan(rx.accepted.length);
      const focus = rx.accepted.filter((r) => statusOf(r.body).type === 'event-notification').flatMap((r) => statusOf(r.body).events.map((e: any) => e.focus.split('/').pop()));
      expect(focus).toEqual(ids);
      // at most max-count events per notification
      expect(rx.accepted.every((r) => (statusOf(r.body).events?.length ?? 0) <= 2)).toBe(true);
      const st = (await t.http.get(`/fhir/Subscription/${res.body.id}/$status`)).body;
      expect(statusOf(st)).toMatchObject({ status: 'active', 'events-since-subscription-start': '7' });
    } finally {
      await rx.close();
    }
  });

  it('a slow endpoint does not slow writes nor another subscriber', async () => {
    // after its handshake the slow receiver takes 1.5 s per request (below the 2 s timeout)
    const slow = await startReceiver(() => 200, (n) => (n > 1 ? 1500 : 0));
    const fast = await startReceiver();
    try {
      await post(t, '/fhir/Subscription', backportSubscription(slow.url, { content: 'id-only', filters: ['Observation?patient=Patient/slow'] }));
      await post(t, '/fhir/Subscription', backportSubscription(fast.url, { content: 'id-only', filters: ['Observation?patient=Patient/slow'] }));
      await waitFor('handshakes', () => slow.received[0] && fast.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      for (let i = 0; i < 5; i++) await post(t, '/fhir/Observation', observation('slow'));
      expect(Date.now() - started).toBeLessThan(2000);
      await waitFor('fast subscriber', () => eventNumbers(fast.accepted).length >= 5);
      expect(eventNumbers(fast.accepted)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await slow.close();
      await fast.close();
    }
  });
});

describe('an endpoint that keeps failing past the retry window', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ ...FAST, SUBSCRIPTION_RETRY_WINDOW_MS: '400' });
  });
  afterAll(() => t.close());

  it('puts the subscription in error and keeps its event count', async () => {
    const rx = await startReceiver((_r, n) => (n === 1 ? 200 : 500));
    try {
      const id = (await post(t, '/fhir/Subscription', backportSubscription(rx.url))).body.id;
      await waitFor('handshake', () => rx.received[0]);
      await new Promise((r) => setTimeout(r, 200));
      await post(t, '/fhir/Observation', observation('p1'));
      let s: any;
      for (let i = 0; i < 60 && s?.status !== 'error'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        s = (await t.http.get(`/fhir/Subscription/${id}`)).body;
      }
      expect(s.status).toBe('error');
      expect(s.error).toMatch(/Notifications failed .* HTTP 500/);
      expect(rx.received.length).toBeGreaterThan(2);
      const st = (await t.http.get(`/fhir/Subscription/${id}/$status`)).body;
      expect(statusOf(st)).toMatchObject({ status: 'error', 'events-since-subscription-start': '1' });
      // the event stays retrievable
      const ev = (await t.http.get(`/fhir/Subscription/${id}/$events`)).body;
      expect(statusOf(ev).events.map((e: any) => e['event-number'])).toEqual(['1']);
    } finally {
      await rx.close();
    }
  });
});

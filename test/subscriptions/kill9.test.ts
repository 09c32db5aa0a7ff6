import fs from 'node:fs';
import { buildOnce, startChildServer, tmpDataDir, waitForExit } from '../helpers/child-server';
import { backportSubscription, eventNumbers, FAST, observation, startReceiver, waitFor } from './helpers';

/** Deliveries pending at a `kill -9` are all delivered after the restart: they live in the delivery store, not in memory. */
jest.setTimeout(90_000);

const FHIR_JSON = { 'Content-Type': 'application/fhir+json' };

describe('subscription deliveries across SIGKILL', () => {
  const dataDir = tmpDataDir('fhir-sub-crash-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('delivers every recorded event after the restart, none lost, in order', async () => {
    let down = false;
    // accepts the handshake, then refuses everything while "down"
    const rx = await startReceiver((_r, n) => (n === 1 || !down ? 200 : 503));
    try {
      const first = await startChildServer(dataDir, { ...FAST, SUBSCRIPTION_RETRY_BASE_MS: '100', SUBSCRIPTION_RETRY_MAX_MS: '300' });
      const sub = await (await fetch(`${first.base}/fhir/Subscription`, { method: 'POST', headers: FHIR_JSON, body: JSON.stringify(backportSubscription(rx.url, { content: 'id-only', maxCount: 3 })) })).json();
      await waitFor('handshake', () => rx.received[0]);
      down = true;
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${first.base}/fhir/Observation`, { method: 'POST', headers: FHIR_JSON, body: JSON.stringify(observation('p1', '8867-4', 60 + i)) });
        expect(res.status).toBe(201);
      }
      // every event recorded (the status says so), none accepted, then the process dies
      let count = '0';
      for (let i = 0; i < 100 && count !== '10'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const st = await (await fetch(`${first.base}/fhir/Subscription/${sub.id}/$status`)).json();
        count = st.entry[0].resource.parameter.find((p: any) => p.name === 'events-since-subscription-start').valueString;
      }
      expect(count).toBe('10');
      expect(eventNumbers(rx.accepted)).toEqual([]);
      first.proc.kill('SIGKILL');
      await waitForExit(first.proc);

      down = false;
      const second = await startChildServer(dataDir, FAST);
      try {
        await waitFor('all events', () => eventNumbers(rx.accepted).length >= 10, 20_000);
        expect(eventNumbers(rx.accepted)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const s = await (await fetch(`${second.base}/fhir/Subscription/${sub.id}`)).json();
        expect(s.status).toBe('active');
      } finally {
        second.proc.kill('SIGTERM');
        await waitForExit(second.proc);
      }
    } finally {
      await rx.close();
    }
  });
});

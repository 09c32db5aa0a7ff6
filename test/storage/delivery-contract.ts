import type { DeliveryStore, NewDeliveryEvent } from '../../src/storage/delivery-port';

/** One suite for every adapter of the delivery port (DESIGN.md decision 15). */
export function deliveryContract(name: string, open: () => Promise<{ store: DeliveryStore; reopen?: () => Promise<DeliveryStore>; close(): Promise<void> }>): void {
  const event = (subscription: string, sv: number): NewDeliveryEvent => ({
    subscription,
    topic: 'http://example.org/topic',
    storeVersion: sv,
    resourceType: 'Observation',
    id: `o${sv}`,
    versionId: '1',
    timestamp: '2026-12-01T00:00:00.000Z',
    method: 'POST',
  });

  describe(`delivery store contract: ${name}`, () => {
    let t: Awaited<ReturnType<typeof open>>;
    beforeEach(async () => {
      t = await open();
    });
    afterEach(() => t.close());

    it('numbers events per subscription without gaps and moves the matcher with them', async () => {
      expect(await t.store.matchedThrough()).toBe(0);
      const first = await t.store.record([event('a', 3), event('b', 3), event('a', 5)], 5);
      expect(first.map((e) => [e.subscription, e.eventNumber])).toEqual([['a', 1], ['b', 1], ['a', 2]]);
      const second = await t.store.record([event('a', 7)], 9);
      expect(second[0].eventNumber).toBe(3);
      expect(await t.store.matchedThrough()).toBe(9);
      // the position never moves back
      await t.store.record([], 4);
      expect(await t.store.matchedThrough()).toBe(9);
      expect((await t.store.state('a')).eventCount).toBe(3);
      expect((await t.store.state('b')).eventCount).toBe(1);
      expect((await t.store.state('never')).eventCount).toBe(0);
    });

    it('reads events in order between two numbers', async () => {
      await t.store.record([1, 2, 3, 4, 5].map((sv) => event('a', sv)), 5);
      const page = await t.store.events('a', 1, 4, 2);
      expect(page.map((e) => e.eventNumber)).toEqual([2, 3]);
      expect(page[0]).toEqual({ ...event('a', 2), eventNumber: 2 });
      expect((await t.store.events('a', 0, 100, 100)).map((e) => e.storeVersion)).toEqual([1, 2, 3, 4, 5]);
    });

    it('keeps delivery progress apart from the event count, and clears fields set to undefined', async () => {
      await t.store.record([event('a', 1), event('a', 2)], 2);
      await t.store.progress('a', { deliveredThrough: 1, attempts: 2, failingSince: 1000, nextAttemptAt: 2000, lastError: 'HTTP 500' });
      await t.store.record([event('a', 3)], 3);
      expect(await t.store.state('a')).toEqual({ subscription: 'a', eventCount: 3, deliveredThrough: 1, attempts: 2, failingSince: 1000, nextAttemptAt: 2000, lastError: 'HTTP 500' });
      await t.store.progress('a', { deliveredThrough: 3, attempts: 0, failingSince: undefined, nextAttemptAt: undefined, lastError: undefined, lastSentAt: 5000 });
      expect(await t.store.state('a')).toEqual({ subscription: 'a', eventCount: 3, deliveredThrough: 3, attempts: 0, lastSentAt: 5000 });
      await t.store.progress('c', { lastSentAt: 7 });
      expect((await t.store.states()).map((s) => [s.subscription, s.eventCount, s.lastSentAt ?? null])).toEqual([['a', 3, 5000], ['c', 0, 7]]);
    });

    it('keeps everything across a reopen', async () => {
      if (!t.reopen) return;
      await t.store.record([event('a', 1)], 1);
      await t.store.progress('a', { deliveredThrough: 1 });
      const again = await t.reopen();
      expect(await again.matchedThrough()).toBe(1);
      expect(await again.state('a')).toMatchObject({ eventCount: 1, deliveredThrough: 1 });
      expect((await again.events('a', 0, 10, 10)).length).toBe(1);
      await again.close();
    });
  });
}

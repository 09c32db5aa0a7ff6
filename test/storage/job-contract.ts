import { randomUUID } from 'node:crypto';
import type { Store } from '../../src/storage/port';
import { hasJobs, type JobStore } from '../../src/storage/jobs';

/**
 * The job table's conformance suite (storage/jobs.ts): every adapter runs exactly these tests.
 * `reopen` gives the same data again, as a restarted server would see it.
 */
export function jobStoreContract(name: string, open: () => Promise<Store>, reopen: (s: Store) => Promise<Store>): void {
  describe(`job store contract: ${name}`, () => {
    let store: Store;
    let jobs: JobStore;
    beforeEach(async () => {
      store = await open();
      if (!hasJobs(store)) throw new Error('the adapter keeps no jobs');
      jobs = store.jobs();
    });
    afterEach(async () => {
      await store.close();
    });
    const create = (owner = 'client-a', now = 1000) => jobs.create({ id: randomUUID(), kind: 'export', owner, request: '{"x":1}', progress: '{}', now });

    it('creates queued jobs and reads them back', async () => {
      const job = await create();
      expect(job).toMatchObject({ kind: 'export', owner: 'client-a', state: 'queued', request: '{"x":1}', progress: '{}', attempts: 0, createdAt: 1000 });
      expect(await jobs.get(job.id)).toEqual(job);
      expect(await jobs.get('nope')).toBeUndefined();
    });

    it('claims the oldest queued job once, and a running one again only after its lease ran out', async () => {
      const first = await create('a', 1000);
      const second = await create('a', 2000);
      const claimed = await jobs.claim('export', 'w1', 5000, 1000);
      expect(claimed).toMatchObject({ id: first.id, state: 'running', leaseOwner: 'w1', leaseUntil: 6000, attempts: 1 });
      expect((await jobs.claim('export', 'w2', 5000, 1000))?.id).toBe(second.id);
      expect(await jobs.claim('export', 'w2', 5500, 1000)).toBeUndefined();
      expect(await jobs.claim('other-kind', 'w2', 9000, 1000)).toBeUndefined();
      // w1 died: past its lease the job is taken over, and counted as a second attempt
      const again = await jobs.claim('export', 'w3', 6500, 1000);
      expect(again).toMatchObject({ id: first.id, leaseOwner: 'w3', attempts: 2 });
    });

    it('updates under a lease only while the worker holds it', async () => {
      const job = await create();
      await jobs.claim('export', 'w1', 5000, 1000);
      expect(await jobs.update(job.id, { progress: '{"n":1}', leaseUntil: 7000 }, 5100, 'w1')).toBe(true);
      expect(await jobs.update(job.id, { progress: '{"n":2}' }, 5200, 'w2')).toBe(false);
      expect(await jobs.get(job.id)).toMatchObject({ progress: '{"n":1}', leaseUntil: 7000, updatedAt: 5100 });
      // a cancellation (no lease) wins, and the worker's next update fails
      expect(await jobs.update(job.id, { state: 'cancelled' }, 5300)).toBe(true);
      expect(await jobs.update(job.id, { progress: '{"n":3}' }, 5400, 'w1')).toBe(false);
      expect(await jobs.update(job.id, { state: 'completed', expiresAt: 9000, error: '{"resourceType":"OperationOutcome"}' }, 5500)).toBe(true);
      expect(await jobs.get(job.id)).toMatchObject({ state: 'completed', expiresAt: 9000, error: '{"resourceType":"OperationOutcome"}' });
      expect(await jobs.update('nope', { state: 'failed' }, 5600)).toBe(false);
    });

    it('lists by owner and state, oldest first, and deletes', async () => {
      const a1 = await create('a', 1000);
      const b1 = await create('b', 1500);
      const a2 = await create('a', 2000);
      await jobs.update(a2.id, { state: 'completed' }, 2100);
      expect((await jobs.list({ kind: 'export' })).map((j) => j.id)).toEqual([a1.id, b1.id, a2.id]);
      expect((await jobs.list({ kind: 'export', owner: 'a' })).map((j) => j.id)).toEqual([a1.id, a2.id]);
      expect((await jobs.list({ kind: 'export', owner: 'a', states: ['queued', 'running'] })).map((j) => j.id)).toEqual([a1.id]);
      expect(await jobs.list({ kind: 'export', states: [] })).toEqual([]);
      expect(await jobs.delete(a1.id)).toBe(true);
      expect(await jobs.delete(a1.id)).toBe(false);
      expect(await jobs.get(a1.id)).toBeUndefined();
    });

    it('keeps jobs across a restart', async () => {
      const job = await create();
      await jobs.claim('export', 'w1', 5000, 1000);
      await jobs.update(job.id, { progress: '{"cursor":"abc"}' }, 5100, 'w1');
      store = await reopen(store);
      jobs = (store as unknown as { jobs(): JobStore }).jobs();
      expect(await jobs.get(job.id)).toMatchObject({ state: 'running', progress: '{"cursor":"abc"}', leaseOwner: 'w1', attempts: 1 });
    });
  });
}

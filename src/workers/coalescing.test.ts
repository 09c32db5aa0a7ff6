import { CoalescingWorker } from './coalescing';

const tick = () => new Promise((r) => setImmediate(r));

describe('a coalescing background worker', () => {
  it('runs steps until there is no more work, then its after hook', async () => {
    let work = 3;
    const seen: string[] = [];
    const w = new CoalescingWorker(async () => (seen.push(`step ${work}`), work-- > 1), () => {}, () => seen.push('after'));
    w.wake();
    await w.settled();
    expect(seen).toEqual(['step 3', 'step 2', 'step 1', 'after']);
  });

  it('folds wake-ups during a pass into one more pass, and never overlaps passes', async () => {
    let active = 0;
    let maxActive = 0;
    let passes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w = new CoalescingWorker(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      passes++;
      if (passes === 1) await gate;
      active--;
      return false;
    }, () => {});
    w.wake();
    await tick();
    w.wake();
    w.wake();
    w.wake();
    release();
    await w.settled();
    expect(passes).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('hands a failure to onError and starts afresh on the next wake-up', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let done = 0;
    const w = new CoalescingWorker(async () => {
      if (fail) throw new Error('store down');
      done++;
      return false;
    }, (err) => errors.push(err));
    w.wake();
    await w.settled();
    expect(errors).toHaveLength(1);
    fail = false;
    w.wake();
    await w.settled();
    expect(done).toBe(1);
  });

  it('starts nothing once closed', async () => {
    let steps = 0;
    const w = new CoalescingWorker(async () => (steps++, false), () => {});
    await w.close();
    w.wake();
    await w.settled();
    expect(steps).toBe(0);
    expect(w.closed).toBe(true);
  });
});

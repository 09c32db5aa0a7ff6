import type { AdminChange } from './admin-event';
import { changed, type AdminTrail } from './admin-change';

/** An administrator's change is made only after its request is in the trail, and its result follows. */
function fakeTrail(failOn?: AdminChange['phase']): AdminTrail & { log: string[] } {
  let n = 0;
  const log: string[] = [];
  return {
    log,
    async record(c) {
      if (c.phase === failOn) throw new Error('disk full');
      const id = `e${++n}`;
      log.push(`${id} ${c.phase}${c.requestedId ? ` of ${c.requestedId}` : ''}${c.detail ? `: ${c.detail}` : ''}`);
      return id;
    },
    close: async () => {},
  };
}

const request = { action: 'remove', target: { kind: 'client', id: 'app' } } as const;

describe('changed', () => {
  it('records the request, then makes the change, then records its result naming the request', async () => {
    const trail = fakeTrail();
    const value = await changed(trail, request, () => {
      trail.log.push('changed');
      return true;
    });
    expect(value).toBe(true);
    expect(trail.log).toEqual(['e1 requested', 'changed', 'e2 done of e1']);
    expect(trail.incomplete).toBeUndefined();
  });

  it('makes no change when its request cannot be recorded', async () => {
    const trail = fakeTrail('requested');
    const act = jest.fn();
    await expect(changed(trail, request, act)).rejects.toThrow('disk full');
    expect(act).not.toHaveBeenCalled();
  });

  it('records a change that did not take, or threw, as failed', async () => {
    const trail = fakeTrail();
    expect(await changed(trail, request, () => false, (done) => ({ done, detail: 'no such client' }))).toBe(false);
    await expect(
      changed(trail, request, () => {
        throw new Error('database is locked');
      })
    ).rejects.toThrow('database is locked');
    expect(trail.log).toEqual(['e1 requested', 'e2 failed of e1: no such client', 'e3 requested', 'e4 failed of e3: database is locked']);
  });

  it('keeps a change whose result cannot be recorded, and says so', async () => {
    const trail = fakeTrail('done');
    expect(await changed(trail, request, () => 'secret')).toBe('secret');
    expect(trail.incomplete).toMatch(/could not be recorded in the audit trail \(its request was\): disk full/);
  });

  it('without a trail (FHIR_AUDIT=off) only makes the change', async () => {
    expect(await changed(undefined, request, () => 42)).toBe(42);
  });
});

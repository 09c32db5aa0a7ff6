import { ExpiringMap } from './expiring-map';

describe('ExpiringMap', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000;
  });

  it('forgets entries once their lifetime is over, and purges them on the next write', () => {
    const m = new ExpiringMap<string>(100, 10, now);
    m.set('a', 'A');
    m.set('b', 'B');
    clock += 50;
    m.set('c', 'C');
    expect(m.get('a')).toBe('A');
    clock += 60; // a and b are 110 old, c 60
    expect(m.get('a')).toBeUndefined();
    expect(m.size).toBe(2); // a was dropped when read; b waits for the next write
    m.set('d', 'D');
    expect(m.size).toBe(2);
    expect([m.get('b'), m.get('c'), m.get('d')]).toEqual([undefined, 'C', 'D']);
  });

  it('holds at most max entries, dropping the oldest first', () => {
    const m = new ExpiringMap<number>(1_000, 3, now);
    for (let i = 0; i < 5; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(3);
    expect(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => m.get(k))).toEqual([undefined, undefined, 2, 3, 4]);
  });

  it('a rewritten key gets a new lifetime and a place at the end', () => {
    const m = new ExpiringMap<number>(100, 2, now);
    m.set('a', 1);
    m.set('b', 2);
    clock += 50;
    m.set('a', 3);
    m.set('c', 4); // full: b, the oldest, goes
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([3, undefined, 4]);
    clock += 60;
    expect(m.get('a')).toBe(3);
  });
});

/**
 * A bounded map whose entries expire: what the authorization server holds between two requests of a
 * browser (pending sign-ins, EHR launch contexts). Every entry gets the same lifetime, so insertion
 * order is expiry order: purging stops at the first live entry, and when the map is full the entry
 * dropped is the one closest to expiring. Purged on every write, so nothing outlives its lifetime by
 * more than the next write, and the map never holds more than `max` entries.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number
  ) {}

  set(key: string, value: V): void {
    this.purge();
    this.entries.delete(key); // a rewritten key moves to the end, keeping the order by expiry
    while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Entries held, live or not yet purged. */
  get size(): number {
    return this.entries.size;
  }

  purge(): void {
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (e.expires > now) return;
      this.entries.delete(key);
    }
  }
}

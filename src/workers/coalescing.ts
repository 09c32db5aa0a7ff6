/**
 * A background pass that many events may ask for (a commit, a timer, a finished delivery): `wake()`
 * starts it, or, while it runs, asks for one more pass after it, so wake-ups coalesce and passes
 * never overlap. A pass runs `step` until it reports no more work, yielding to the event loop between
 * steps, then `after`; a failure is handed to `onError` and the next wake-up starts afresh.
 */
export class CoalescingWorker {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly step: () => Promise<boolean>,
    private readonly onError: (err: unknown) => void,
    private readonly after: () => void = () => {}
  ) {}

  get closed(): boolean {
    return this.stopped;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while (!this.stopped && (await this.step())) await new Promise((r) => setImmediate(r));
        } catch (err) {
          this.onError(err);
        }
        if (!this.stopped) this.after();
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
  }

  /** Resolves when the pass running now (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }

  /** No pass starts after this; resolves when the running one has ended. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

import type { Logger } from 'pino';
import type { AuditEvent } from '../fhir/types';
import type { AuditSink } from './sink';

export interface AuditWriterOptions {
  /** Events per append. */
  maxBatch: number;
  /** How long an event may wait for companions before its batch goes. */
  delayMs: number;
  /** While the trail cannot be written, the failed batch is tried again this often (the probe). */
  probeMs: number;
  /** A batch unanswered this long counts as a failure (a stuck disk or worker). */
  stallMs: number;
  /** Events held while the trail is down (the refusals it records); beyond it they are counted and dropped. */
  maxQueued: number;
}

const DEFAULTS: AuditWriterOptions = { maxBatch: 2000, delayMs: 20, probeMs: 1000, stallMs: 5000, maxQueued: 200_000 };

/**
 * Hands AuditEvents to the sink in batches, off the request path: a request only queues its event.
 * It fails closed (DESIGN.md decision 11): when a batch cannot be appended, `unavailable()` says why,
 * the FHIR endpoint refuses requests for data with 503 and /healthz reports `audit: unavailable`;
 * the failed batch stays at the head of the queue and is tried again every `probeMs`, and service
 * resumes with the first append that succeeds. Nothing queued is dropped while the server runs.
 */
export class AuditWriter {
  private queue: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private inFlightSince: number | undefined;
  private failure: string | undefined;
  private dropped = 0;
  private readonly options: AuditWriterOptions;

  constructor(
    readonly sink: AuditSink,
    private readonly log: Logger,
    options: Partial<AuditWriterOptions> = {}
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Queues an event; never throws, never waits. */
  record(event: AuditEvent): void {
    if (this.queue.length >= this.options.maxQueued) {
      if (this.dropped++ % 1000 === 0) this.log.error({ dropped: this.dropped }, 'audit trail down and its queue full: events dropped');
      return;
    }
    this.queue.push(event);
    if (!this.running && !this.failure) this.timer ??= setTimeout(() => this.pump(), this.queue.length >= this.options.maxBatch ? 0 : this.options.delayMs);
  }

  /** Why accesses cannot be recorded now, or undefined when they can. */
  unavailable(): string | undefined {
    if (this.failure) return this.failure;
    if (this.inFlightSince !== undefined && Date.now() - this.inFlightSince > this.options.stallMs) return `no write has completed for ${Math.round((Date.now() - this.inFlightSince) / 1000)} s`;
    return undefined;
  }

  /** Appends everything queued so far; resolves when written, or when an append has just failed. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      else if (this.queue.length && !this.failure) this.pump();
      else return;
      if (this.failure) return;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sink.close();
  }

  private pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    this.running = this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, this.options.maxBatch);
      this.inFlightSince = Date.now();
      try {
        await this.sink.append(batch);
      } catch (err) {
        this.inFlightSince = undefined;
        if (!this.failure) this.log.error({ err, events: batch.length }, 'audit trail cannot be written: refusing data requests until it can');
        this.failure = (err as Error).message?.slice(0, 200) || 'audit write failed';
        // the probe: the same batch again, later; the events stay queued in order
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.failure = undefined;
          this.pump();
          // still failing: say so again at once, without a moment of open service in between
          if (this.running) this.failure ??= 'retrying';
        }, this.options.probeMs);
        this.timer.unref();
        return;
      }
      this.inFlightSince = undefined;
      this.queue.splice(0, batch.length);
      if (this.failure) this.log.warn('audit trail writable again: serving data requests');
      this.failure = undefined;
    }
  }
}

import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { ServerContext, WriteContext } from '../fhir/context';
import type { Store } from '../storage/port';
import type { AuditEvent } from '../fhir/types';
import { prepareVersion } from '../fhir/write';

/**
 * Appends AuditEvents to the store in batches, off the request path: recording never fails or
 * slows the request it records. Events are append-only: nothing in the server updates them.
 */
export class AuditWriter {
  private queue: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ServerContext,
    private readonly store: Store,
    private readonly log: Logger,
    // small batches keep each synchronous write short, so request latency does not spike behind it
    private readonly options = { maxBatch: 100, delayMs: 100 }
  ) {}

  /** Queues an event; never throws. */
  record(event: AuditEvent): void {
    this.queue.push(event);
    if (this.queue.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.delayMs);
  }

  /** Writes everything queued so far (also called at shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: AuditEvent[]): Promise<void> {
    try {
      // written by the server itself, on the raw store: no grant, no validation hooks (the events are built here)
      const ctx: WriteContext = { ...this.ctx, hooks: { beforeStore: [], afterResponse: [] } };
      await this.store.transaction((session) =>
        session.write(batch.map((event) => prepareVersion(ctx, event, { id: uuidv7(), previous: undefined, method: 'POST' })))
      );
    } catch (err) {
      this.log.error({ err, events: batch.length }, 'audit events could not be stored');
    }
  }
}

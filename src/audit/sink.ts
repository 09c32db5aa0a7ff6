import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { AuditEvent } from '../fhir/types';
import { spawnWorker } from '../workers/spawn';
import type { AuditAppender } from './appender';

/** Where the writer hands its batches: the audit worker thread, or an appender in this thread. */
export interface AuditSink {
  append(events: AuditEvent[]): Promise<void>;
  /** Caps the trail's database to this many more pages (SQLite only; undefined lifts it): a full disk, for tests. */
  limitPages?(extraPages: number | undefined): Promise<void>;
  close(): Promise<void>;
}

/** In this thread: the MongoDB trail (its driver is asynchronous already) and the command-line tools. */
export class AppenderSink implements AuditSink {
  constructor(
    private readonly appender: AuditAppender,
    private readonly closeStore: () => Promise<void> = async () => {},
    private readonly limit?: (extraPages: number | undefined) => void
  ) {}

  async append(events: AuditEvent[]): Promise<void> {
    await this.appender.append(events);
  }

  async limitPages(extraPages: number | undefined): Promise<void> {
    this.limit?.(extraPages);
  }

  close(): Promise<void> {
    return this.closeStore();
  }
}

export interface AuditWorkerData {
  dataDir: string;
  baseUrl: string;
  synchronous: 'FULL' | 'NORMAL';
  checkpointEvery?: number;
  checkpointMs?: number;
}

type Reply = { id: number; ok: true } | { id: number; ok: false; error: string };

/**
 * The embedded trail's writer thread (DESIGN.md decision 13): it owns the write connection to
 * DATA_DIR/audit.sqlite and does the index extraction, hashing, signing and inserts, so that none
 * of that runs on the event loop that serves requests. Batches go over postMessage; each is
 * answered when committed, or with the error that stopped it.
 */
export class WorkerSink implements AuditSink {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  constructor(private readonly data: AuditWorkerData) {}

  append(events: AuditEvent[]): Promise<void> {
    // as JSON text: a string crosses to the worker as one copy, where structured cloning walks every
    // object on this thread (about 4 µs an event against 13)
    return this.call({ type: 'append', events: JSON.stringify(events) });
  }

  limitPages(extraPages: number | undefined): Promise<void> {
    return this.call({ type: 'limit', extraPages });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.call({ type: 'close' }).catch(() => undefined);
    await worker.terminate();
    this.worker = undefined;
  }

  private call(message: Record<string, unknown>): Promise<void> {
    const worker = this.start();
    const id = this.next++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = spawnWorker(path.join(__dirname, `worker${path.extname(__filename)}`), this.data);
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) p?.resolve();
      else p?.reject(new Error(reply.error));
    });
    // a crashed worker fails what it held; the next batch starts a new one
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`audit worker exited (${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { MongoStore } from '../storage/mongo/store';
import type { Store } from '../storage/port';

/**
 * The signed head of the chain, kept outside the trail's own records: after every appended batch the
 * appender signs {seq, hash, time} of the newest record (the same JWS as a checkpoint, checkpoint.ts)
 * and stores it here. Deleting the newest records, checkpoints included, leaves a head that names a
 * seq the trail no longer reaches, which `npm run audit:verify` reports as truncation. The head is
 * written after the batch commits, so it never names a record that is not there; a crash in between
 * leaves an older head, which is weaker, never a false alarm.
 */
export interface TrailHead {
  /** The newest signed head's JWS, if any was written. */
  read(): Promise<string | undefined>;
  /** Stores the head of `seq`; an older head never replaces a newer one written by this process or (MongoDB) by any. */
  write(jws: string, seq: number): Promise<void>;
}

/** DATA_DIR/audit-head.jws for the embedded trail. */
export const HEAD_FILE = 'audit-head.jws';

/**
 * A file beside audit.sqlite (not in it), replaced atomically: written to a temporary file of this
 * process and thread, synced, then renamed over the old one, so a reader sees the old head or the new,
 * never half of one.
 */
export class FileHead implements TrailHead {
  private last = 0;
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, HEAD_FILE);
  }

  async read(): Promise<string | undefined> {
    try {
      return (await fs.promises.readFile(this.file, 'utf8')).trim() || undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(jws: string, seq: number): Promise<void> {
    if (seq <= this.last) return;
    const temp = `${this.file}.${process.pid}-${threadId}.tmp`;
    const fd = await fs.promises.open(temp, 'w', 0o600);
    try {
      await fd.writeFile(`${jws}\n`);
      await fd.sync();
    } finally {
      await fd.close();
    }
    await fs.promises.rename(temp, this.file);
    this.last = seq;
  }
}

interface HeadDoc {
  _id: 'head';
  seq: number;
  jws: string;
}

/**
 * One document in its own collection (audit_head beside audit_resources and audit_versions). Several
 * server processes append to one MongoDB trail, so the write only ever moves the head forward: the
 * update matches only an older head, and the upsert of a document that is newer already fails on its _id.
 */
export class MongoHead implements TrailHead {
  constructor(private readonly store: MongoStore) {}

  private get docs() {
    return this.store.database.collection<HeadDoc>('head');
  }

  async read(): Promise<string | undefined> {
    return (await this.docs.findOne({ _id: 'head' }))?.jws;
  }

  async write(jws: string, seq: number): Promise<void> {
    try {
      await this.docs.updateOne({ _id: 'head', seq: { $lt: seq } }, { $set: { seq, jws } }, { upsert: true });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }
}

/** Where the head of this trail lives: its MongoDB collection, or the file in DATA_DIR. */
export function trailHead(dataDir: string, auditStore: Store): TrailHead {
  return auditStore.kind === 'mongodb' ? new MongoHead(auditStore as MongoStore) : new FileHead(dataDir);
}

import { randomUUID } from 'node:crypto';
import type { WriteContext } from '../fhir/context';
import type { AuditEvent, Provenance, Resource } from '../fhir/types';
import { prepareVersion } from '../fhir/write';
import type { Store, StoreReader, StoreSession, WriteOp } from '../storage/port';
import { chained, GENESIS, linkOf, type ChainLink } from './chain';
import { checkpointProvenance, type CheckpointSigner } from './checkpoint';
import type { TrailHead } from './head';
import { AUDIT_TYPE } from './redact';

export interface AppenderOptions {
  /** A signed checkpoint at least every this many records... */
  checkpointEvery: number;
  /** ...and at least this often while records are written. */
  checkpointMs: number;
}

/**
 * Appends AuditEvents to the audit store, chained (chain.ts), in one write scope per batch, through
 * the core's write path (index extraction, compartments), so the trail is searchable like any
 * resource. The head of the chain is read inside each scope, so several processes appending to one
 * MongoDB trail stay in one chain (their scopes conflict and rerun). The same code runs in the audit
 * worker thread (worker.ts) and in process (MongoDB, the command-line tools).
 */
export class AuditAppender {
  /** When this process last signed, and how many records it appended since. */
  private lastCheckpoint: { at: number; since: number } | undefined;

  constructor(
    private readonly store: Store,
    private readonly ctx: Omit<WriteContext, 'hooks'>,
    private readonly signer: CheckpointSigner | undefined,
    private readonly options: AppenderOptions = { checkpointEvery: 10_000, checkpointMs: 60_000 },
    /** Where the signed head goes after every batch (head.ts); none for tests of the chain alone. */
    private readonly signedHead?: TrailHead
  ) {}

  /**
   * Appends the events in one write scope. `alongside` (the prune, prune.ts) runs first in the same
   * scope and returns more resources of the trail to write with them, so that all of it commits or none.
   */
  async append(events: AuditEvent[], alongside?: (session: StoreSession) => Promise<Resource[]>): Promise<ChainLink | undefined> {
    if (events.length === 0) return undefined;
    // the events are built by the server: no validation hooks
    const ctx: WriteContext = { ...this.ctx, hooks: { beforeStore: [], afterResponse: [] } };
    const last = this.lastCheckpoint;
    const due = !last || Date.now() - last.at >= this.options.checkpointMs || last.since + events.length >= this.options.checkpointEvery;
    const signed = due ? this.signer : undefined;
    let jws: string | undefined;
    const head = await this.store.transaction(async (session) => {
      const ops: WriteOp[] = alongside ? (await alongside(session)).map((r) => prepareVersion(ctx, r, { id: r.id ?? randomUUID(), previous: undefined, method: 'POST' })) : [];
      let head = await chainHead(session);
      let headId = '';
      for (const event of events) {
        const id = event.id ?? randomUUID();
        const link = chained({ ...event, id }, head.seq + 1, head.hash);
        ops.push(prepareVersion(ctx, link.event, { id, previous: undefined, method: 'POST' }));
        head = link.link;
        headId = id;
      }
      if (signed) {
        const time = new Date().toISOString();
        jws = await signed.sign({ seq: head.seq, hash: head.hash, time });
        ops.push(prepareVersion(ctx, checkpointProvenance({ ...head, time }, headId, jws) as Provenance, { id: randomUUID(), previous: undefined, method: 'POST' }));
      }
      await session.write(ops);
      return head;
    });
    // counted only once committed: a failed scope signed nothing that stays
    this.lastCheckpoint = signed ? { at: Date.now(), since: 0 } : { at: last?.at ?? Date.now(), since: (last?.since ?? 0) + events.length };
    // after the commit, so the head never names a record that is not there (the checkpoint's own JWS when
    // one was signed). A head that cannot be stored leaves the older one, weaker but true; failing here
    // would make the writer append the committed batch a second time.
    if (this.signedHead && this.signer) {
      try {
        await this.signedHead.write(jws ?? (await this.signer.sign({ ...head, time: new Date().toISOString() })), head.seq);
      } catch {
        // the next batch tries again
      }
    }
    return head;
  }
}

/** The newest record's link (seq 0 and the genesis hash for an empty trail). */
export async function chainHead(reader: StoreReader): Promise<ChainLink> {
  const [newest] = await reader.history({ resourceType: AUDIT_TYPE, count: 1 });
  const link = newest?.json ? linkOf(JSON.parse(newest.json) as AuditEvent) : undefined;
  return link ?? { seq: 0, hash: GENESIS };
}

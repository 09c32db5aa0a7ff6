import type { AuditEvent, Provenance } from '../fhir/types';
import type { StoreReader, VersionRecord } from '../storage/port';
import { GENESIS, linkHash, linkOf } from './chain';
import { checkpointJws, verifyCheckpoint, type Checkpoint } from './checkpoint';
import type { CryptoKey } from 'jose';

const PAGE = 1000;

/**
 * The versions of one type in the order they were written (oldest first), a page at a time. History
 * pages run newest first, so a first pass notes where each page starts and a second reads them in
 * reverse: memory stays one page whatever the trail's size.
 */
export async function* oldestFirst(reader: StoreReader, resourceType: string, since?: string): AsyncGenerator<VersionRecord[]> {
  const starts: (number | undefined)[] = [undefined];
  for (let before: number | undefined; ; ) {
    const page = await reader.history({ resourceType, since, beforeStoreVersion: before, count: PAGE });
    if (page.length < PAGE) break;
    before = page[page.length - 1].storeVersion;
    starts.push(before);
  }
  for (let i = starts.length - 1; i >= 0; i--) {
    const page = await reader.history({ resourceType, since, beforeStoreVersion: starts[i], count: PAGE });
    if (page.length) yield page.reverse();
  }
}

export interface VerifyReport {
  records: number;
  checkpoints: number;
  /** The signed head (head.ts) the trail was checked against. */
  head?: Checkpoint;
  /** The signed anchor the trail starts from after a prune (prune.ts): records up to its seq were removed. */
  anchor?: Checkpoint;
  /**
   * The first record (in the trail's order) that was changed, removed or inserted, the newest ones
   * missing (truncated), or the checkpoint that fails.
   */
  problem?: { kind: 'changed' | 'removed' | 'inserted' | 'truncated' | 'checkpoint'; seq?: number; id?: string; detail: string };
}

export interface VerifyOptions {
  /**
   * The signed head kept outside the trail (head.ts), read before the walk starts (a head written
   * meanwhile may name records the walk began too early to see): `jws` undefined when none is kept,
   * which is a problem for a trail that has records; `where` names it in reports.
   */
  head?: { jws: string | undefined; where: string };
}

/**
 * Walks the chain (chain.ts) and the signed checkpoints (checkpoint.ts): every record must follow
 * from the one before it (seq + 1, hash over the previous hash and its own content), and every
 * checkpoint's signature must hold and name a record that has exactly its hash. After a prune the
 * chain starts from the newest signed anchor's seq and hash instead of the genesis.
 */
export async function verifyTrail(reader: StoreReader, keys: Map<string, CryptoKey>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { records: 0, checkpoints: 0 };
  const head = options.head?.jws ? await verifyCheckpoint(options.head.jws, keys) : undefined;
  if (options.head?.jws && !head) return { ...report, problem: { kind: 'checkpoint', detail: `the signed head in ${options.head.where} is not signed by a known audit key` } };
  report.head = head;
  const due = new Map<number, Checkpoint>();
  for await (const page of oldestFirst(reader, 'Provenance')) {
    for (const v of page) {
      const jws = v.json ? checkpointJws(JSON.parse(v.json) as Provenance) : undefined;
      const c = jws && (await verifyCheckpoint(jws, keys));
      if (!c) return { ...report, problem: { kind: 'checkpoint', id: v.id, detail: `checkpoint Provenance/${v.id} is not signed by a known audit key` } };
      report.checkpoints++;
      if (c.kind === 'anchor') {
        if (!report.anchor || c.seq > report.anchor.seq) report.anchor = c;
      } else due.set(c.seq, c);
    }
  }
  const anchor = report.anchor;
  // the checkpoints of what was pruned name records that are gone by design
  for (const seq of due.keys()) if (anchor && seq <= anchor.seq) due.delete(seq);
  let previous = anchor ? { seq: anchor.seq, hash: anchor.hash, id: `(the anchor signed at ${anchor.time})` } : { seq: 0, hash: GENESIS, id: '(start of the trail)' };
  for await (const page of oldestFirst(reader, 'AuditEvent')) {
    for (const v of page) {
      report.records++;
      const event = v.json ? (JSON.parse(v.json) as AuditEvent) : undefined;
      const link = event && linkOf(event);
      const at = { seq: link?.seq, id: v.id };
      if (!event || !link) return { ...report, problem: { kind: 'inserted', ...at, detail: `AuditEvent/${v.id} carries no link of the chain` } };
      if (link.seq <= previous.seq) return { ...report, problem: { kind: 'inserted', ...at, detail: `AuditEvent/${v.id} claims seq ${link.seq} after seq ${previous.seq} (AuditEvent/${previous.id})` } };
      if (link.seq > previous.seq + 1) {
        const missing = link.seq - previous.seq - 1;
        return { ...report, problem: { kind: 'removed', seq: previous.seq + 1, id: v.id, detail: `seq ${previous.seq + 1}${missing > 1 ? ` to ${link.seq - 1}` : ''} missing between AuditEvent/${previous.id} and AuditEvent/${v.id}` } };
      }
      if (linkHash(previous.hash, event) !== link.hash) {
        return { ...report, problem: { kind: 'changed', ...at, detail: `AuditEvent/${v.id} (seq ${link.seq}) does not match its hash: it, or the record before it, was changed` } };
      }
      const c = due.get(link.seq);
      if (c && c.hash !== link.hash) return { ...report, problem: { kind: 'changed', ...at, detail: `AuditEvent/${v.id} (seq ${link.seq}) differs from the checkpoint signed at ${c.time}: the trail was rewritten` } };
      due.delete(link.seq);
      if (head && head.seq === link.seq && head.hash !== link.hash) {
        return { ...report, problem: { kind: 'changed', ...at, detail: `AuditEvent/${v.id} (seq ${link.seq}) differs from the head signed at ${head.time}: the trail was rewritten` } };
      }
      previous = { seq: link.seq, hash: link.hash, id: v.id };
    }
  }
  const beyond = [...due.values(), ...(head ? [head] : [])].sort((a, b) => b.seq - a.seq)[0];
  if (beyond && beyond.seq > previous.seq) {
    const by = beyond === head ? `the head signed at ${head.time} (${options.head?.where})` : `a checkpoint signed at ${beyond.time}`;
    return { ...report, problem: { kind: 'truncated', seq: previous.seq + 1, detail: `truncated: the trail ends at seq ${previous.seq}, but ${by} names seq ${beyond.seq}: seq ${previous.seq + 1} to ${beyond.seq} were removed` } };
  }
  if (options.head && !options.head.jws && report.records > 0) {
    return { ...report, problem: { kind: 'truncated', detail: `no signed head in ${options.head.where}: without it the removal of the newest records cannot be ruled out` } };
  }
  return report;
}

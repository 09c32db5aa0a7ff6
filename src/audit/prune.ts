import { randomUUID } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { AuditEvent, Provenance } from '../fhir/types';
import type { Store } from '../storage/port';
import { commandSource } from './admin-event';
import { chainHead, type AuditAppender } from './appender';
import { checkpointJws, checkpointProvenance, verifyCheckpoint, type Checkpoint, type CheckpointSigner } from './checkpoint';
import { oldestFirst, verifyTrail } from './verify';

/**
 * Retention of the audit trail (FHIR_AUDIT_RETENTION_DAYS, `npm run audit:prune`). Records are removed
 * only up to a signed checkpoint older than the period, never the newest record, and only from a trail
 * that verifies (a prune must not destroy the evidence of tampering). In one write scope: the records
 * and checkpoints up to there go, a signed anchor (the seq and hash of the last record removed) is
 * written, and the prune is recorded as an AuditEvent in the chain that goes on; audit:verify then
 * starts the chain from the anchor and reports "pruned before seq N".
 */
export interface PruneOptions {
  store: Store;
  appender: AuditAppender;
  signer: CheckpointSigner;
  keys: Map<string, CryptoKey>;
  /** The signed head kept outside the trail (head.ts), as verifyTrail takes it. */
  head: { jws: string | undefined; where: string };
  retentionDays: number;
  now: Date;
  /** Only say what would go. */
  dryRun?: boolean;
}

export interface PruneResult {
  /** Records removed (or, with dryRun, that would be). */
  removed: number;
  /** The anchor the trail now starts from (after the seq it names). */
  anchor?: Checkpoint;
  /** Why nothing was removed. */
  nothing?: string;
}

/** Thrown when the trail does not verify: nothing is removed. */
export class PruneRefused extends Error {}

const DAY = 86_400_000;

export async function pruneTrail(o: PruneOptions): Promise<PruneResult> {
  const report = await verifyTrail(o.store, o.keys, { head: o.head });
  if (report.problem) throw new PruneRefused(`the audit trail does not verify (${report.problem.kind}: ${report.problem.detail}); nothing pruned`);
  const cutoff = new Date(o.now.getTime() - o.retentionDays * DAY).toISOString();
  const from = report.anchor?.seq ?? 0;
  const newest = (await chainHead(o.store)).seq;
  const upTo = await newestCheckpointBefore(o.store, o.keys, cutoff, from, newest);
  if (!upTo) return { removed: 0, nothing: `no signed checkpoint older than ${o.retentionDays} days (before ${cutoff}) after seq ${from}` };
  const last = await o.store.readCurrent('AuditEvent', upTo.targetId);
  if (!last || last.deleted) throw new PruneRefused(`the record of the checkpoint at seq ${upTo.checkpoint.seq} (AuditEvent/${upTo.targetId}) is missing; nothing pruned`);
  const removed = upTo.checkpoint.seq - from;
  const anchor: Checkpoint = { seq: upTo.checkpoint.seq, hash: upTo.checkpoint.hash, time: o.now.toISOString(), kind: 'anchor' };
  if (o.dryRun) return { removed, anchor };
  const jws = await o.signer.sign(anchor);
  const event = pruneAuditEvent({ from: from + 1, through: anchor.seq, hash: anchor.hash, retentionDays: o.retentionDays, cutoff, removed }, o.now);
  // both types up to the last record removed: its own checkpoint (written just after it) stays, harmless
  await o.appender.append([event], async (session) => {
    await session.purge('AuditEvent', last.storeVersion);
    await session.purge('Provenance', last.storeVersion);
    return [{ ...checkpointProvenance(anchor, event.id as string, jws), id: randomUUID() }];
  });
  return { removed, anchor };
}

/** The newest checkpoint signed before `cutoff` with from < seq < newest, and the AuditEvent it names. */
async function newestCheckpointBefore(store: Store, keys: Map<string, CryptoKey>, cutoff: string, from: number, newest: number): Promise<{ checkpoint: Checkpoint; targetId: string } | undefined> {
  let found: { checkpoint: Checkpoint; targetId: string } | undefined;
  for await (const page of oldestFirst(store, 'Provenance')) {
    for (const v of page) {
      const p = v.json ? (JSON.parse(v.json) as Provenance) : undefined;
      const jws = p && checkpointJws(p);
      const c = jws ? await verifyCheckpoint(jws, keys) : undefined;
      const targetId = p?.target?.[0]?.reference?.replace(/^AuditEvent\//, '');
      if (!c || c.kind || !targetId || c.time >= cutoff || c.seq <= from || c.seq >= newest) continue;
      if (!found || c.seq > found.checkpoint.seq) found = { checkpoint: c, targetId };
    }
  }
  return found;
}

interface Pruned {
  from: number;
  through: number;
  hash: string;
  retentionDays: number;
  cutoff: string;
  removed: number;
}

/** The AuditEvent of a prune (DICOM 110101 Audit Log Used, action delete): what went, and where the trail now starts. */
export function pruneAuditEvent(p: Pruned, now: Date): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110101', display: 'Audit Log Used' },
    subtype: [{ system: 'http://insured.example.org/fhir/CodeSystem/audit-subtype', code: 'audit-prune', display: 'Audit trail pruned (retention)' }],
    action: 'D',
    recorded: now.toISOString(),
    outcome: '0',
    outcomeDesc: `removed ${p.removed} records (seq ${p.from} to ${p.through}) signed before ${p.cutoff} (retention ${p.retentionDays} days); the trail now starts after seq ${p.through}`,
    ...commandSource(),
    entity: [
      {
        what: { display: `audit trail, seq ${p.from} to ${p.through}` },
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
        detail: [
          { type: 'pruned-through-seq', valueString: String(p.through) },
          { type: 'anchor-hash', valueString: p.hash },
          { type: 'retention-days', valueString: String(p.retentionDays) },
        ],
      },
    ],
  };
}

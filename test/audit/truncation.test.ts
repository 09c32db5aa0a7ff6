import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { loadVerificationKeys, PUBLIC_KEY_FILE, verifyCheckpoint } from '../../src/audit/checkpoint';
import { trailHead } from '../../src/audit/head';
import { verifyTrail, type VerifyReport } from '../../src/audit/verify';
import { AUDIT_FILE } from '../../src/storage';
import type { MongoStore } from '../../src/storage/mongo/store';
import type { MongoStandIn } from '../storage/mongo-standin';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * Removing the newest records, behind the server's back, after the last signed checkpoint or with the
 * last checkpoints too, leaves no gap in the chain: only the signed head kept outside the trail
 * (DATA_DIR/audit-head.jws, or the audit_head collection) shows that the trail once went further.
 */
const embedded = !process.env.FHIR_TEST_STORE;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'on' }, { auditWorker: embedded });
  const id = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Tail' }] })).body.id;
  await t.server.flushAudit();
  // later batches than the first checkpoint's
  for (let i = 0; i < 6; i++) {
    await t.http.get(`/fhir/Patient/${id}`);
    await t.server.flushAudit();
  }
});
afterAll(() => t.close());

async function verify(): Promise<VerifyReport> {
  const store = t.server.auditStore;
  const keys = await loadVerificationKeys(path.join(t.dataDir, PUBLIC_KEY_FILE));
  return verifyTrail(store, keys, { head: { jws: await trailHead(t.dataDir, store).read(), where: 'the head' } });
}

/** Deletes every version of the trail's store written after the AuditEvent `keep` newest-but-n: returns how to put them back. */
async function removeNewest(n: number, withCheckpoints: boolean): Promise<() => void> {
  const events = await t.server.auditStore.history({ resourceType: 'AuditEvent', count: n + 1 });
  const after = events[n].storeVersion;
  const gone = (sv: number, type: string) => sv > after && (withCheckpoints || type === 'AuditEvent');
  if (embedded) {
    const db = new DatabaseSync(path.join(t.dataDir, AUDIT_FILE));
    const rows = (db.prepare('SELECT * FROM resource_version WHERE sv > ? ORDER BY sv').all(after) as Record<string, string | number>[]).filter((r) => gone(Number(r.sv), String(r.resource_type)));
    for (const r of rows) db.prepare('DELETE FROM resource_version WHERE sv = ?').run(r.sv);
    db.close();
    return () => {
      const back = new DatabaseSync(path.join(t.dataDir, AUDIT_FILE));
      for (const r of rows) back.prepare('INSERT INTO resource_version (sv, resource_type, id, version_id, last_updated, deleted, method, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(r.sv, r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.method, r.json);
      back.close();
    };
  }
  const db = (t.server.auditStore as MongoStore).database as unknown as MongoStandIn;
  const versions = db.committed.get('versions') ?? [];
  db.committed.set('versions', versions.filter((v) => !gone(v._id as number, v.t as string)));
  return () => void db.committed.set('versions', versions);
}

it('the signed head follows every batch and names the newest record', async () => {
  const report = await verify();
  expect(report.problem).toBeUndefined();
  const [newest] = await t.server.auditStore.history({ resourceType: 'AuditEvent', count: 1 });
  const keys = await loadVerificationKeys(path.join(t.dataDir, PUBLIC_KEY_FILE));
  const head = await verifyCheckpoint((await trailHead(t.dataDir, t.server.auditStore).read()) as string, keys);
  expect(head?.seq).toBe(report.records);
  expect(JSON.parse(newest.json as string).extension.at(-1).extension[1].valueString).toBe(head?.hash);
});

it('catches the newest records removed after the last checkpoint', async () => {
  const checkpoints = (await verify()).checkpoints;
  const restore = await removeNewest(3, false);
  const report = await verify();
  expect(report.checkpoints).toBe(checkpoints);
  expect(report.problem).toMatchObject({ kind: 'truncated', seq: report.records + 1 });
  expect(report.problem?.detail).toMatch(/^truncated: the trail ends at seq \d+, but the head signed at .* names seq \d+/);
  restore();
  expect((await verify()).problem).toBeUndefined();
});

it('catches the newest records removed with the last checkpoints', async () => {
  const restore = await removeNewest(5, true);
  expect((await verify()).problem).toMatchObject({ kind: 'truncated' });
  restore();
  expect((await verify()).problem).toBeUndefined();
});

it('a trail with records and no signed head is reported, as its tail could have been removed', async () => {
  const report = await verifyTrail(t.server.auditStore, await loadVerificationKeys(path.join(t.dataDir, PUBLIC_KEY_FILE)), { head: { jws: undefined, where: 'nowhere' } });
  expect(report.problem).toMatchObject({ kind: 'truncated', detail: expect.stringMatching(/no signed head in nowhere/) });
});

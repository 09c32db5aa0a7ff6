import path from 'node:path';
import { AuditAppender } from '../../src/audit/appender';
import { loadCheckpointSigner, loadVerificationKeys, PUBLIC_KEY_FILE, type CheckpointSigner } from '../../src/audit/checkpoint';
import { trailHead } from '../../src/audit/head';
import { pruneTrail, PruneRefused, type PruneOptions } from '../../src/audit/prune';
import { verifyTrail, type VerifyReport } from '../../src/audit/verify';
import { getRegistry } from '../../src/definitions/registry';
import type { AuditEvent } from '../../src/fhir/types';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * Retention (FHIR_AUDIT_RETENTION_DAYS, `npm run audit:prune`): records older than the period go up to
 * a signed checkpoint, a signed anchor lets the rest verify, and the prune is itself in the trail. On
 * the embedded store and on the MongoDB adapter alike.
 */
let t: TestServer;
let signer: CheckpointSigner;
let keys: Awaited<ReturnType<typeof loadVerificationKeys>>;
let frequent: AuditAppender;
let patient: string;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'on' });
  signer = await loadCheckpointSigner(t.dataDir);
  keys = await loadVerificationKeys(path.join(t.dataDir, PUBLIC_KEY_FILE));
  const base = { baseUrl: t.config.baseUrl, config: t.config, registry: getRegistry(), now: () => new Date() };
  // an appender that signs a checkpoint with every batch, so that there are several to prune up to
  frequent = new AuditAppender(t.server.auditStore, base, signer, { checkpointEvery: 1, checkpointMs: 0 }, trailHead(t.dataDir, t.server.auditStore));
  patient = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Old' }] })).body.id;
  await t.server.flushAudit();
  for (let batch = 0; batch < 3; batch++) await frequent.append([event(`batch ${batch} a`), event(`batch ${batch} b`)]);
});
afterAll(() => t.close());

function event(desc: string): AuditEvent {
  return { resourceType: 'AuditEvent', type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110100' }, recorded: new Date().toISOString(), outcome: '0', outcomeDesc: desc, agent: [{ requestor: true }], source: { observer: { display: 'test' } } } as AuditEvent;
}

const head = async () => ({ jws: await trailHead(t.dataDir, t.server.auditStore).read(), where: 'the head' });
const verify = async (): Promise<VerifyReport> => verifyTrail(t.server.auditStore, keys, { head: await head() });
const prune = async (o: Partial<PruneOptions> = {}) =>
  pruneTrail({ store: t.server.auditStore, appender: frequent, signer, keys, head: await head(), retentionDays: 30, now: new Date(Date.now() + 31 * DAY), ...o });

it('keeps what is younger than the period', async () => {
  expect(await prune({ now: new Date() })).toMatchObject({ removed: 0, nothing: expect.stringMatching(/no signed checkpoint older than 30 days/) });
});

it('a dry run says what would go and removes nothing', async () => {
  const before = await verify();
  const dry = await prune({ dryRun: true });
  expect(dry.removed).toBeGreaterThan(0);
  expect((await verify()).records).toBe(before.records);
});

it('removes the old records up to the newest checkpoint before the newest record, and the rest verifies from the anchor', async () => {
  const before = await verify();
  expect(before.problem).toBeUndefined();
  const newest = before.records;
  const result = await prune();
  // the newest batch's checkpoint names the newest record, which is never removed: the one before it is the last that can go
  expect(result.anchor?.seq).toBe(newest - 2);
  expect(result.removed).toBe(newest - 2);
  const after = await verify();
  expect(after.problem).toBeUndefined();
  expect(after.anchor).toMatchObject({ seq: newest - 2, kind: 'anchor' });
  // the two newest records and the prune's own event
  expect(after.records).toBe(3);
  expect(await t.server.auditStore.historyCount({ resourceType: 'AuditEvent' })).toBe(3);
  const pruned = await t.http.get('/fhir/AuditEvent?subtype=audit-prune');
  expect(pruned.body.entry).toHaveLength(1);
  expect(pruned.body.entry[0].resource).toMatchObject({ action: 'D', outcome: '0', outcomeDesc: expect.stringMatching(new RegExp(`^removed ${newest - 2} records \\(seq 1 to ${newest - 2}\\)`)) });
  // the chain goes on after the anchor: the server's own events follow (that search's, this read's), and the trail still verifies
  await t.http.get(`/fhir/Patient/${patient}`);
  await t.server.flushAudit();
  const later = await verify();
  expect([later.records, later.problem]).toEqual([5, undefined]);
});

it('prunes again from the anchor: the newest anchor is where the trail starts', async () => {
  const first = (await verify()).anchor?.seq as number;
  const result = await prune();
  expect(result.anchor?.seq).toBeGreaterThan(first);
  const after = await verify();
  expect(after.problem).toBeUndefined();
  expect(after.anchor?.seq).toBe(result.anchor?.seq);
});

it('refuses to prune a trail that does not verify, and a removed anchor shows as records removed, not a prune', async () => {
  // every Provenance removed behind the server's back: anchors and checkpoints
  await t.server.auditStore.transaction((s) => s.purge('Provenance', Number.MAX_SAFE_INTEGER));
  expect((await verify()).problem).toMatchObject({ kind: 'removed', seq: 1 });
  await expect(prune()).rejects.toThrow(PruneRefused);
});

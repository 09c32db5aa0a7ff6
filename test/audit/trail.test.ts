import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { chained, GENESIS, linkHash } from '../../src/audit/chain';
import { loadVerificationKeys, PUBLIC_KEY_FILE } from '../../src/audit/checkpoint';
import { verifyTrail, type VerifyReport } from '../../src/audit/verify';
import { AUDIT_FILE, createAuditStore } from '../../src/storage';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * The trail in its own store, appended by the server's worker thread, and what `npm run
 * audit:verify` (verifyTrail on the store of DATA_DIR) finds when audit.sqlite is edited behind the
 * server's back: a changed, a removed and an inserted record, each named.
 */
const embedded = !process.env.FHIR_TEST_STORE;
let t: TestServer;
let patient: string;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'on' }, { auditWorker: true });
  patient = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Trail' }] })).body.id;
  for (let i = 0; i < 5; i++) await t.http.get(`/fhir/Patient/${patient}`);
  await t.http.get(`/fhir/Observation?patient=${patient}&code=http://loinc.org|8867-4`);
  await t.server.flushAudit();
});
afterAll(() => t.close());

async function verify(): Promise<VerifyReport> {
  const store = await createAuditStore(t.config);
  try {
    return await verifyTrail(store, await loadVerificationKeys(path.join(t.dataDir, PUBLIC_KEY_FILE)));
  } finally {
    await store.close();
  }
}

describe('the trail lives apart from health data', () => {
  it('holds every access, and the main store holds no AuditEvent (nor its system history)', async () => {
    const main = await t.server.store.history({ count: 1000 });
    expect(main.length).toBeGreaterThan(0);
    expect(main.filter((v) => v.resourceType === 'AuditEvent')).toEqual([]);
    const trail = await t.server.auditStore.history({ resourceType: 'AuditEvent', count: 1000 });
    expect(trail.length).toBeGreaterThanOrEqual(7);
    const history = await t.http.get('/fhir/_history?_count=1000');
    expect(history.body.entry.some((e: any) => e.resource?.resourceType === 'AuditEvent' || e.request?.url?.startsWith('AuditEvent'))).toBe(false);
  });

  it('is served as AuditEvent: search by patient, subtype, outcome, date, newest first, paged', async () => {
    const res = await t.http.get(`/fhir/AuditEvent?patient=Patient/${patient}&subtype=read&outcome=0&date=ge2020-01-01&_sort=-date&_count=2`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(5);
    const dates = res.body.entry.map((e: any) => e.resource.recorded);
    expect([...dates].sort().reverse()).toEqual(dates);
    const next = res.body.link.find((l: any) => l.relation === 'next').url.replace('http://localhost:8080', '');
    expect((await t.http.get(next)).body.entry).toHaveLength(2);
    // the oldest search about the patient is the Observation search of beforeAll (this test's own searches follow it)
    const search = await t.http.get(`/fhir/AuditEvent?entity=Patient/${patient}&subtype=search-type&_sort=date&_count=1`);
    const id = search.body.entry[0].resource.id;
    const event = (await t.http.get(`/fhir/AuditEvent/${id}`)).body;
    const query = event.entity.find((e: any) => e.role?.code === '24').query;
    expect(Buffer.from(query, 'base64').toString()).toBe(`patient=${patient}&code=http%3A%2F%2Floinc.org%7C8867-4`);
  });

  it('is append-only: AuditEvents cannot be created, changed or deleted through the API', async () => {
    const [some] = await t.server.auditStore.history({ resourceType: 'AuditEvent', count: 1 });
    const event = JSON.parse(some.json as string);
    const create = await t.http.post('/fhir/AuditEvent').set('Content-Type', FHIR_JSON).send({ ...event, id: undefined, meta: undefined });
    expect(create.status).toBe(405);
    expect(create.body.issue[0].details.coding[0].code).toBe('FHIR-0405-AUDIT');
    expect((await t.http.put(`/fhir/AuditEvent/${some.id}`).set('Content-Type', FHIR_JSON).send({ ...event, outcome: '4' })).status).toBe(405);
    expect((await t.http.delete(`/fhir/AuditEvent/${some.id}`)).status).toBe(405);
  });
});

(embedded ? describe : describe.skip)('tamper evidence (audit:verify)', () => {
  let db: DatabaseSync;
  type Row = { sv: number; resource_type: string; id: string; version_id: number; last_updated: string; deleted: number; method: string; json: string };
  const rows = (): Row[] => db.prepare("SELECT * FROM resource_version WHERE resource_type = 'AuditEvent' ORDER BY sv").all() as unknown as Row[];
  beforeAll(async () => {
    await t.server.flushAudit();
    db = new DatabaseSync(path.join(t.dataDir, AUDIT_FILE));
  });
  afterAll(() => db.close());

  it('an untouched trail verifies, with a signed checkpoint', async () => {
    const report = await verify();
    expect(report.problem).toBeUndefined();
    expect(report.records).toBe(rows().length);
    expect(report.checkpoints).toBeGreaterThanOrEqual(1);
  });

  it('catches an edited record and names it', async () => {
    const victim = rows()[3];
    db.prepare('UPDATE resource_version SET json = ? WHERE sv = ?').run(victim.json.replace('"outcome":"0"', '"outcome":"4"'), victim.sv);
    const report = await verify();
    expect(report.problem).toMatchObject({ kind: 'changed', id: victim.id, seq: 4 });
    db.prepare('UPDATE resource_version SET json = ? WHERE sv = ?').run(victim.json, victim.sv);
    expect((await verify()).problem).toBeUndefined();
  });

  it('catches a deleted record and names where it is missing', async () => {
    const victim = rows()[2];
    db.prepare('DELETE FROM resource_version WHERE sv = ?').run(victim.sv);
    expect((await verify()).problem).toMatchObject({ kind: 'removed', seq: 3 });
    db.prepare('INSERT INTO resource_version (sv, resource_type, id, version_id, last_updated, deleted, method, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      victim.sv, victim.resource_type, victim.id, victim.version_id, victim.last_updated, victim.deleted, victim.method, victim.json
    );
    expect((await verify()).problem).toBeUndefined();
  });

  it('catches an inserted record, even one that copies a real link of the chain', async () => {
    const copied = rows()[1];
    const forged = copied.json.replace(copied.id, 'forged-event');
    const { lastInsertRowid } = db
      .prepare("INSERT INTO resource_version (resource_type, id, version_id, last_updated, deleted, method, json) VALUES ('AuditEvent', 'forged-event', 1, ?, 0, 'POST', ?)")
      .run(copied.last_updated, forged);
    expect((await verify()).problem).toMatchObject({ kind: 'inserted', id: 'forged-event' });
    db.prepare('DELETE FROM resource_version WHERE sv = ?').run(lastInsertRowid);
    expect((await verify()).problem).toBeUndefined();
  });

  it('catches a rewritten record whose hash was recomputed: the chain or the signed checkpoint disagrees', async () => {
    const victim = rows()[0];
    const event = JSON.parse(victim.json);
    event.outcome = '4';
    const rewritten = chained(event, 1, GENESIS).event;
    expect(linkHash(GENESIS, rewritten)).not.toBe(linkHash(GENESIS, JSON.parse(victim.json)));
    db.prepare('UPDATE resource_version SET json = ? WHERE sv = ?').run(JSON.stringify(rewritten), victim.sv);
    expect((await verify()).problem).toMatchObject({ kind: 'changed' });
    db.prepare('UPDATE resource_version SET json = ? WHERE sv = ?').run(victim.json, victim.sv);
    expect((await verify()).problem).toBeUndefined();
  });
});

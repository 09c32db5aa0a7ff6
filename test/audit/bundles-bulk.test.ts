import { AuditAppender } from '../../src/audit/appender';
import { bulkImportRecorder } from '../../src/audit/bulk-event';
import { loadCheckpointSigner } from '../../src/audit/checkpoint';
import { upsertResources } from '../../src/bulk/loader';
import type { RequestContext } from '../../src/fhir/context';
import { getRegistry } from '../../src/definitions/registry';
import { emptyHooks } from '../../src/fhir/hooks';
import { GuardedStore } from '../../src/guard/guarded-store';
import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/** One event per entry of a batch or transaction under the Bundle's event; the bulk loader's writes in the trail. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'on' });
});
afterAll(() => t.close());

async function events(query: string): Promise<any[]> {
  await t.server.flushAudit();
  const res = await t.http.get(`/fhir/AuditEvent?${query}&_count=500`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: any) => e.resource);
}

const parentOf = (e: any) => e.entity?.find((x: any) => x.role?.code === 'parent')?.what.reference;

it('a transaction of 50 entries gives 50 events under one parent, the transaction’s own', async () => {
  const entry = Array.from({ length: 50 }, (_, i) => ({
    fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resource: { resourceType: 'Patient', name: [{ family: `Tx${i}` }] },
    request: { method: 'POST', url: 'Patient' },
  }));
  const res = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({ resourceType: 'Bundle', type: 'transaction', entry });
  expect(res.status).toBe(200);
  const [bundle] = await events('subtype=transaction');
  expect(bundle).toBeDefined();
  const children = await events(`entity=AuditEvent/${bundle.id}`);
  expect(children).toHaveLength(50);
  expect(new Set(children.map(parentOf))).toEqual(new Set([`AuditEvent/${bundle.id}`]));
  expect(children.every((e) => e.subtype[0].code === 'create' && e.outcome === '0')).toBe(true);
  const created = res.body.entry.map((e: any) => e.response.location.split('/_history')[0]).sort();
  expect(children.map((e) => e.entity.find((x: any) => x.what?.reference?.startsWith('Patient/'))?.what.reference).sort()).toEqual(created);
});

it('a failed transaction’s entries are recorded as rolled back; a batch’s entries each on their own', async () => {
  const failing = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient/does-not-exist' } },
    ],
  });
  expect(failing.status).toBe(404);
  const tx = (await events('subtype=transaction&outcome=4'))[0];
  const undone = await events(`entity=AuditEvent/${tx.id}`);
  expect(undone.map((e) => [e.subtype[0].code, e.outcome]).sort()).toEqual([['create', '4'], ['read', '4']]);
  expect(undone.find((e) => e.subtype[0].code === 'create').outcomeDesc).toMatch(/rolled back/);

  await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send({
    resourceType: 'Bundle',
    type: 'batch',
    entry: [{ request: { method: 'GET', url: 'Patient?family=Tx1' } }, { request: { method: 'GET', url: 'Patient/nope' } }],
  });
  const [batch] = await events('subtype=batch');
  expect((await events(`entity=AuditEvent/${batch.id}`)).map((e) => [e.subtype[0].code, e.outcome]).sort()).toEqual([['read', '4'], ['search-type', '0']]);
});

it('the bulk loader’s writes are in the trail, per patient whose records it wrote', async () => {
  const base = { baseUrl: t.config.baseUrl, config: t.config, registry: getRegistry(), hooks: emptyHooks(), now: () => new Date() };
  const ctx: RequestContext = { ...base, requestId: 'import', store: GuardedStore.system({ main: t.server.store }, 'bulk-import', base), log: t.server.log };
  const trail = new AuditAppender(t.server.auditStore, base, await loadCheckpointSigner(t.dataDir));
  const result = await upsertResources(
    ctx,
    [
      { resourceType: 'Patient', id: 'bulk-1', name: [{ family: 'Bulk' }] },
      { resourceType: 'Observation', id: 'bulk-obs', status: 'final', code: { text: 'steps' }, subject: { reference: 'Patient/bulk-1' } },
      { resourceType: 'Organization', id: 'bulk-org', name: 'Fund' },
    ] as any,
    bulkImportRecorder(trail, 'bulk-import')
  );
  expect(result.written).toBe(3);
  const own = await events('patient=Patient/bulk-1&subtype=bulk-import');
  expect(own).toHaveLength(1);
  expect(own[0].entity.map((e: any) => e.what.reference)).toEqual(['Patient/bulk-1', 'Observation/bulk-obs/_history/1']);
  const rest = await events('subtype=bulk-import&entity=Organization/bulk-org/_history/1');
  expect(rest).toHaveLength(1);
  expect(rest[0].agent[0].who.display).toMatch(/bulk-import/);
});

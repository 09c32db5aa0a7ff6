import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * If an access cannot be recorded, it does not happen: with the trail's database full (SQLite's
 * max_page_count, a real SQLITE_FULL), reads of health data answer 503 with an OperationOutcome and
 * /healthz says so; when space returns, the probe's retry succeeds and reads resume, and the events
 * held meanwhile are in the trail.
 */
const embedded = !process.env.FHIR_TEST_STORE;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'on' }, { auditWorker: true });
});
afterAll(() => t.close());

(embedded ? it : it.skip)('a full audit disk makes reads answer 503 instead of going unrecorded, and they resume when space returns', async () => {
  const id = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Full' }] })).body.id;
  await t.server.flushAudit();
  expect((await t.http.get('/healthz')).body).toMatchObject({ status: 'ok', audit: 'ok' });

  await t.server.audit?.sink.limitPages?.(0);
  // the free room left in the last pages takes a few events; then the disk is full
  let refused: any;
  const served: string[] = [];
  for (let i = 0; i < 400 && !refused; i++) {
    const res = await t.http.get(`/fhir/Patient/${id}`).set('X-Request-Id', `before-full-${i}`);
    if (res.status === 503) refused = res;
    else {
      expect(res.status).toBe(200);
      served.push(`before-full-${i}`);
    }
    await t.server.flushAudit();
  }
  expect(refused).toBeDefined();
  expect(refused.body.resourceType).toBe('OperationOutcome');
  expect(refused.body.issue[0]).toMatchObject({ code: 'transient', details: { coding: [{ code: 'FHIR-0503-AUDIT' }] } });
  const health = await t.http.get('/healthz');
  expect(health.status).toBe(503);
  expect(health.body.audit).toBe('unavailable');
  // writes and searches of health data are refused alike
  expect((await t.http.get('/fhir/Patient?family=Full')).status).toBe(503);
  expect((await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).status).toBe(503);

  await t.server.audit?.sink.limitPages?.(undefined);
  let resumed = false;
  for (let i = 0; i < 50 && !resumed; i++) {
    await new Promise((r) => setTimeout(r, 200));
    resumed = (await t.http.get('/healthz')).status === 200;
  }
  expect(resumed).toBe(true);
  expect((await t.http.get(`/fhir/Patient/${id}`)).status).toBe(200);
  await t.server.flushAudit();
  // every read that was served is in the trail: the batch that met the full disk was kept and written on recovery
  const recorded = await t.http.get(`/fhir/AuditEvent?entity=Patient/${id}&subtype=read&_count=1000`);
  expect(recorded.body.entry.length).toBeGreaterThanOrEqual(served.length + 1);
});

import fs from 'node:fs';
import path from 'node:path';
import { runExportJob } from '../../src/export/runner';
import { startTestServer, type TestServer } from '../helpers/server';
import { ASYNC, asText, download, drain, FHIR_JSON, ndjson, pathOf, poll, put } from './helpers';

/** Bulk Data 2.0 kick-off, status and files on an open server (FHIR_AUTH=none); tokens are in access.test.ts. */
describe('Bulk Data export', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ EXPORT_WORKERS: '0', EXPORT_PAGE_SIZE: '2', EXPORT_FILE_MAX_RESOURCES: '3', EXPORT_MAX_JOBS_PER_CLIENT: '2' });
    for (const id of ['p1', 'p2', 'p3']) {
      await put(t, { resourceType: 'Patient', id, gender: id === 'p2' ? 'male' : 'female', name: [{ family: `F${id}` }], birthDate: '1980-01-01' });
      for (const n of [1, 2]) {
        await put(t, {
          resourceType: 'Observation',
          id: `${id}-o${n}`,
          status: n === 1 ? 'final' : 'preliminary',
          code: { coding: [{ system: 'http://loinc.org', code: n === 1 ? '8867-4' : '8310-5' }] },
          subject: { reference: `Patient/${id}` },
        });
      }
    }
    await put(t, { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Doc' }] });
    await put(t, { resourceType: 'Group', id: 'g1', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p3' } }] });
    await put(t, { resourceType: 'Group', id: 'g-char', type: 'person', actual: false, characteristic: [{ code: { text: 'age' }, valueBoolean: true, exclude: false }] });
  });
  afterAll(async () => {
    await drain(t);
    await t.close();
  });

  async function exportOf(url: string, extra: Record<string, string> = {}) {
    const kick = await t.http.get(url).set({ ...ASYNC, ...extra });
    expect(kick.status).toBe(202);
    expect(kick.headers['content-location']).toMatch(/^http:\/\/localhost:8080\/fhir\/\$export-poll-status\/[0-9a-f-]{36}$/);
    const done = await poll(t, kick.headers['content-location']);
    expect(done.status).toBe(200);
    return { status: kick.headers['content-location'] as string, manifest: done.body, files: await download(t, done.body) };
  }
  const ids = (rs: { id: string }[] = []) => rs.map((r) => r.id).sort();

  it('refuses a kick-off without Prefer: respond-async, with an unknown _outputFormat, or an unknown parameter', async () => {
    const noPrefer = await t.http.get('/fhir/$export').set('Accept', FHIR_JSON);
    expect(noPrefer.status).toBe(400);
    expect(noPrefer.body.issue[0].diagnostics).toMatch(/respond-async/);
    const format = await t.http.get('/fhir/$export?_outputFormat=text/csv').set(ASYNC);
    expect(format.status).toBe(400);
    expect(format.body.issue[0].diagnostics).toMatch(/_outputFormat text\/csv is not supported/);
    expect((await t.http.get('/fhir/$export?_bogus=1').set(ASYNC)).status).toBe(400);
    expect((await t.http.get('/fhir/$export?_type=Nope').set(ASYNC)).status).toBe(400);
    expect((await t.http.get('/fhir/$export?_since=yesterday').set(ASYNC)).status).toBe(400);
    expect((await t.http.get('/fhir/$export?includeAssociatedData=LatestProvenanceResources').set(ASYNC)).status).toBe(400);
    expect((await t.http.get('/fhir/Patient/$export?organizeOutputBy=Encounter').set(ASYNC)).status).toBe(400);
    expect((await t.http.get('/fhir/Observation/$export').set(ASYNC)).status).toBe(404);
  });

  it('accepts the three spellings of NDJSON and answers 202, then a manifest with every file, counted', async () => {
    for (const format of ['application/fhir+ndjson', 'application/ndjson', 'ndjson']) {
      const { manifest, files } = await exportOf(`/fhir/$export?_type=Patient,Observation&_outputFormat=${encodeURIComponent(format)}`);
      expect(manifest).toMatchObject({ requiresAccessToken: true, request: expect.stringContaining('/fhir/$export?_type=Patient%2CObservation'), error: [] });
      expect(Date.parse(manifest.transactionTime)).not.toBeNaN();
      expect(ids(files.Patient)).toEqual(['p1', 'p2', 'p3']);
      expect(ids(files.Observation)).toEqual(['p1-o1', 'p1-o2', 'p2-o1', 'p2-o2', 'p3-o1', 'p3-o2']);
      // files hold at most 3 resources (EXPORT_FILE_MAX_RESOURCES): two for the six Observations
      expect(manifest.output.filter((o: { type: string }) => o.type === 'Observation').map((o: { count: number }) => o.count)).toEqual([3, 3]);
    }
  });

  it('answers 202 with Retry-After and X-Progress while running, and serves files with an Expires header', async () => {
    const kick = await t.http.post('/fhir/$export').set(ASYNC).set('Content-Type', FHIR_JSON).send({ resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Observation' }] });
    expect(kick.status).toBe(202);
    const first = await t.http.get(pathOf(kick.headers['content-location']));
    expect(first.status).toBe(202);
    expect(first.headers['retry-after']).toMatch(/^\d+$/);
    expect(first.headers['x-progress']).toBe('queued');
    const done = await poll(t, kick.headers['content-location']);
    expect(done.headers['content-type']).toMatch(/^application\/json/);
    const file = await t.http.get(pathOf(done.body.output[0].url)).buffer(true).parse(asText);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/fhir+ndjson');
    expect(Date.parse(file.headers.expires)).toBeGreaterThan(Date.now());
    expect(ndjson(file.body as string).every((r) => r.resourceType === 'Observation')).toBe(true);
  });

  it('filters with _since, _until, _typeFilter (a union per type) and shapes with _elements (SUBSETTED)', async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await put(t, { resourceType: 'Observation', id: 'p1-o1', status: 'amended', code: { text: 'x' }, subject: { reference: 'Patient/p1' } });
    const since = await exportOf(`/fhir/$export?_type=Observation,Patient&_since=${encodeURIComponent(before)}`);
    expect(ids(since.files.Observation)).toEqual(['p1-o1']);
    expect(since.files.Patient).toBeUndefined();
    const until = await exportOf(`/fhir/$export?_type=Observation&_until=${encodeURIComponent(before)}`);
    expect(ids(until.files.Observation)).toEqual(['p1-o2', 'p2-o1', 'p2-o2', 'p3-o1', 'p3-o2']);

    const filtered = await exportOf(
      `/fhir/$export?_type=Observation,Patient&_typeFilter=${encodeURIComponent('Observation?status=preliminary')}&_typeFilter=${encodeURIComponent('Observation?status=amended')}&_typeFilter=${encodeURIComponent('Patient?gender=male')}`
    );
    expect(ids(filtered.files.Observation)).toEqual(['p1-o1', 'p1-o2', 'p2-o2', 'p3-o2']);
    expect(ids(filtered.files.Patient)).toEqual(['p2']);
    expect((await t.http.get(`/fhir/$export?_typeFilter=${encodeURIComponent('Observation?nope=1')}`).set(ASYNC)).status).toBe(400);
    expect((await t.http.get(`/fhir/$export?_typeFilter=${encodeURIComponent('Observation?_include=Observation:subject')}`).set(ASYNC)).status).toBe(400);
    // lenient: the filter that cannot be honoured is left out
    const lenient = await exportOf(`/fhir/$export?_type=Patient&_typeFilter=${encodeURIComponent('Patient?nope=1')}`, { Prefer: 'respond-async, handling=lenient' });
    expect(ids(lenient.files.Patient)).toEqual(['p1', 'p2', 'p3']);

    const shaped = await exportOf('/fhir/$export?_type=Patient,Observation&_elements=Patient.gender,status');
    const p = shaped.files.Patient[0] as unknown as { gender?: string; name?: unknown; meta: { tag: { code: string }[] } };
    expect(p.gender).toBeDefined();
    expect(p.name).toBeUndefined();
    expect(p.meta.tag.map((x) => x.code)).toContain('SUBSETTED');
    // code is mandatory (1..1) and stays; subject is not listed and goes
    const o = shaped.files.Observation[0] as { status?: string; code?: unknown; subject?: unknown };
    expect([o.status !== undefined, o.code !== undefined, o.subject]).toEqual([true, true, undefined]);
  });

  it('reports deletions since _since as transaction Bundles of DELETE entries', async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await put(t, { resourceType: 'Observation', id: 'tmp-1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p2' } });
    expect((await t.http.delete('/fhir/Observation/tmp-1')).status).toBeLessThan(300);
    expect((await t.http.delete('/fhir/Observation/p3-o2')).status).toBeLessThan(300);
    const { manifest, files } = await exportOf(`/fhir/$export?_type=Observation&_since=${encodeURIComponent(before)}`);
    expect(files.Observation).toBeUndefined();
    expect(manifest.deleted).toHaveLength(1);
    expect(manifest.deleted[0].type).toBe('Bundle');
    const res = await t.http.get(pathOf(manifest.deleted[0].url)).buffer(true).parse(asText);
    const bundles = ndjson(res.body as string) as unknown as { type: string; entry: { request: { method: string; url: string } }[] }[];
    expect(bundles.every((b) => b.type === 'transaction')).toBe(true);
    expect(bundles.flatMap((b) => b.entry.map((e) => `${e.request.method} ${e.request.url}`)).sort()).toEqual(['DELETE Observation/p3-o2', 'DELETE Observation/tmp-1']);
    // without _since there is no deleted list
    expect((await exportOf('/fhir/$export?_type=Observation')).manifest.deleted).toBeUndefined();
  });

  it('exports a patient compartment at Patient level, a Group of members, and a patient list by POST', async () => {
    const patient = await exportOf('/fhir/Patient/$export?_type=Patient,Observation,Practitioner');
    expect(ids(patient.files.Patient)).toEqual(['p1', 'p2', 'p3']);
    expect(patient.files.Practitioner).toBeUndefined();

    const group = await exportOf('/fhir/Group/g1/$export?_type=Patient,Observation');
    expect(ids(group.files.Patient)).toEqual(['p1', 'p3']);
    expect(ids(group.files.Observation)).toEqual(['p1-o1', 'p1-o2', 'p3-o1']);

    const kick = await t.http
      .post('/fhir/Patient/$export')
      .set(ASYNC)
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p2' } }, { name: '_type', valueString: 'Observation' }] });
    expect(kick.status).toBe(202);
    const done = await poll(t, kick.headers['content-location']);
    expect(ids((await download(t, done.body)).Observation)).toEqual(['p2-o1', 'p2-o2']);
    expect((await t.http.get('/fhir/Patient/$export?patient=Patient/p2').set(ASYNC)).status).toBe(400);

    const refused = await t.http.get('/fhir/Group/g-char/$export').set(ASYNC);
    expect(refused.status).toBe(422);
    expect(refused.body.issue[0].diagnostics).toMatch(/characteristics/);
    expect((await t.http.get('/fhir/Group/nope/$export').set(ASYNC)).status).toBe(404);
    // Group read and search work as for any resource
    expect((await t.http.get('/fhir/Group/g1')).body.member).toHaveLength(2);
    expect((await t.http.get('/fhir/Group?member=Patient/p3')).body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['g1']);
  });

  it('organizes output by Patient: a Parameters header, then the patient and its resources', async () => {
    const { manifest, files } = await exportOf('/fhir/Group/g1/$export?_type=Patient,Observation&organizeOutputBy=Patient');
    expect(manifest.outputOrganizedBy).toBe('Patient');
    expect(manifest.output.every((o: { type?: string }) => o.type === undefined)).toBe(true);
    const lines = files['*'];
    const headers = lines.map((r, i) => [r, i] as const).filter(([r]) => r.resourceType === 'Parameters');
    expect(headers.map(([r]) => (r.parameter as { valueReference: { reference: string } }[])[0].valueReference.reference).sort()).toEqual(['Patient/p1', 'Patient/p3']);
    for (const [h, i] of headers) {
      const who = (h.parameter as { valueReference: { reference: string } }[])[0].valueReference.reference;
      expect(`${lines[i + 1].resourceType}/${lines[i + 1].id}`).toBe(who);
    }
    expect(lines.filter((r) => r.resourceType === 'Observation')).toHaveLength(3);
  });

  it('serves a partial manifest while running when allowPartialManifests=true', async () => {
    const kick = await t.http.get('/fhir/$export?_type=Patient,Observation&allowPartialManifests=true').set(ASYNC);
    const status = pathOf(kick.headers['content-location']);
    const queued = await t.http.get(status);
    expect([queued.status, queued.body.output]).toEqual([202, []]);
    await poll(t, kick.headers['content-location']);
  });

  it('cancels a queued job, releases a finished one (202, then 404, files gone), and limits jobs per client (429)', async () => {
    const a = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    const b = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    const c = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    expect(c.status).toBe(429);
    expect(c.headers['retry-after']).toMatch(/^\d+$/);
    const cancel = await t.http.delete(pathOf(a.headers['content-location']));
    expect(cancel.status).toBe(202);
    expect((await t.http.get(pathOf(a.headers['content-location']))).status).toBe(404);
    const done = await poll(t, b.headers['content-location']);
    const id = pathOf(b.headers['content-location']).split('/').pop() as string;
    expect(fs.existsSync(path.join(t.dataDir, 'export', id))).toBe(true);
    expect((await t.http.delete(pathOf(b.headers['content-location']))).status).toBe(202);
    expect((await t.http.get(pathOf(b.headers['content-location']))).status).toBe(404);
    expect((await t.http.get(pathOf(done.body.output[0].url))).status).toBe(404);
    expect(fs.existsSync(path.join(t.dataDir, 'export', id))).toBe(false);
  });

  it('cancels a running job at its next page', async () => {
    const kick = await t.http.get('/fhir/$export?_type=Observation').set(ASYNC);
    const id = pathOf(kick.headers['content-location']).split('/').pop() as string;
    const jobs = t.server.exports.jobs;
    const runner = t.server.exports.runner;
    const onPage = runner.onPage;
    try {
      const claimed = await jobs.claim('export', 'test-worker', Date.now(), 60_000);
      expect(claimed?.id).toBe(id);
      // the client cancels (DELETE on the status URL) after the worker recorded its first page
      let cancels = 0;
      runner.onPage = async () => {
        if (cancels++ === 0) expect((await t.http.delete(pathOf(kick.headers['content-location']))).status).toBe(202);
      };
      expect(await runExportJob(runner, claimed!, 'test-worker')).toBe('cancelled');
      expect(cancels).toBe(1);
    } finally {
      runner.onPage = onPage;
    }
    expect(await jobs.get(id)).toBeUndefined();
    expect(fs.existsSync(path.join(t.dataDir, 'export', id))).toBe(false);
  });

  it('lets files and jobs expire', async () => {
    const { status, manifest } = await exportOf('/fhir/$export?_type=Patient');
    const id = pathOf(status).split('/').pop() as string;
    await t.server.exports.jobs.update(id, { expiresAt: Date.now() - 1 }, Date.now());
    expect((await t.http.get(pathOf(status))).status).toBe(404);
    expect((await t.http.get(pathOf(manifest.output[0].url))).status).toBe(404);
    await t.server.exports.tick();
    expect(await t.server.exports.jobs.get(id)).toBeUndefined();
    expect(fs.existsSync(path.join(t.dataDir, 'export', id))).toBe(false);
  });

  it('lists $export in the CapabilityStatement', async () => {
    const cs = (await t.http.get('/fhir/metadata')).body;
    expect(cs.rest[0].operation.map((o: { name: string }) => o.name)).toContain('export');
    const group = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Group');
    expect(group.operation.map((o: { name: string }) => o.name)).toContain('export');
  });
});

import fs from 'node:fs';
import { loadConfig } from '../../src/config';
import { createFhirServer, type FhirServer } from '../../src/server';
import { startTestServer, type TestServer } from '../helpers/server';
import request from 'supertest';
import { ASYNC, download, pathOf, put } from './helpers';

/**
 * A job that fails fatally (an exception in the runner, here the store failing under it, not a
 * policy refusal): Bulk Data export.html#response---error-status-1, the status endpoint answers 5XX
 * with an OperationOutcome. A failure the store cannot even record leaves the job to be taken over,
 * by this server or a restarted one, rather than stuck.
 */
const ENV = { EXPORT_WORKERS: '0', EXPORT_PAGE_SIZE: '2', EXPORT_LEASE_MS: '300' };
const diskError = () => Object.assign(new Error('SQLITE_IOERR: disk I/O error at /var/lib/fhir/fhir.sqlite'), { code: 'SQLITE_IOERR' });

describe('a fatally failed export', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(ENV);
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await put(t, { resourceType: 'Patient', id });
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  /** The raw store's search fails from its `nth` call on (one page of two Patients is written first). */
  function storeFailsFrom(nth: number) {
    const store = t.server.exports.runner.store;
    const search = store.search.bind(store);
    let calls = 0;
    return jest.spyOn(store, 'search').mockImplementation(async (...args) => {
      if (++calls >= nth) throw diskError();
      return search(...args);
    });
  }

  it('answers 500 with an OperationOutcome on the status endpoint, its detail in the log only', async () => {
    const kick = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
    expect(kick.status).toBe(202);
    const spy = storeFailsFrom(2);
    const logged = jest.spyOn(t.server.exports.runner.ctx.log, 'error');
    expect(await t.server.exports.tick()).toBe(true);
    expect(spy).toHaveBeenCalledTimes(2);
    jest.restoreAllMocks();
    const status = await t.http.get(pathOf(kick.headers['content-location']));
    expect(status.status).toBe(500);
    expect(status.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(status.headers.expires).toBeDefined();
    expect(status.body).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception', diagnostics: 'The export failed on the server (see its log)' }] });
    expect(JSON.stringify(status.body)).not.toMatch(/SQLITE|fhir\.sqlite/);
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ err: expect.objectContaining({ code: 'SQLITE_IOERR' }) }), 'export job failed');
    // the failed job is still there after the next round (it expires like a finished one), and no worker takes it again
    expect(await t.server.exports.tick()).toBe(false);
    expect((await t.http.get(pathOf(kick.headers['content-location']))).status).toBe(500);
  });
});

// a restart on the same database: the embedded store, whose file outlives the process
const onSqlite = process.env.FHIR_TEST_STORE ? describe.skip : describe;
onSqlite('a failure the store cannot record', () => {
  it('leaves the job running, and a restarted server takes it over and completes it', async () => {
    const t = await startTestServer(ENV);
    let first: FhirServer | undefined = t.server;
    let second: FhirServer | undefined;
    try {
      for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await put(t, { resourceType: 'Patient', id });
      const kick = await t.http.get('/fhir/$export?_type=Patient').set(ASYNC);
      const statusPath = pathOf(kick.headers['content-location']);
      const id = statusPath.split('/').pop() as string;
      const { store, jobs } = t.server.exports.runner;
      const search = store.search.bind(store);
      let calls = 0;
      jest.spyOn(store, 'search').mockImplementation(async (...args) => {
        if (++calls >= 2) throw diskError();
        return search(...args);
      });
      // the store is down for the job table too: the failure cannot be written
      const update = jobs.update.bind(jobs);
      jest.spyOn(jobs, 'update').mockImplementation(async (jobId, change, now, by) => {
        if (change.state === 'failed') throw diskError();
        return update(jobId, change, now, by);
      });
      await expect(t.server.exports.tick()).rejects.toThrow(/disk I\/O error/);
      jest.restoreAllMocks();
      const meanwhile = await t.http.get(statusPath);
      expect(meanwhile.status).toBe(202);
      expect((await jobs.get(id))?.state).toBe('running');
      await first.close();
      first = undefined;

      second = await createFhirServer(loadConfig({ DATA_DIR: t.dataDir, LOG_LEVEL: 'silent', FHIR_BASE_URL: 'http://localhost:8080/fhir', FHIR_AUTH: 'none', ...ENV }), { auditInProcess: true });
      const http = request(second.app);
      // the dead worker's lease runs out, then the new server's worker claims the job
      await new Promise((r) => setTimeout(r, 400));
      expect(await second.exports.tick()).toBe(true);
      const job = await second.exports.jobs.get(id);
      expect(job).toMatchObject({ state: 'completed', attempts: 2 });
      const done = await http.get(statusPath);
      expect(done.status).toBe(200);
      const files = await download({ http }, done.body);
      expect(files.Patient.map((p) => p.id).sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    } finally {
      jest.restoreAllMocks();
      await first?.close();
      await second?.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});

import { withBearer } from '../helpers/server';
import { addPublicClient, addSecretClient, addUser, launch, startSmartServer, systemToken } from './helpers';

/**
 * A patient-scoped token reaches its own patient's compartment and nothing of another patient's,
 * through every path: read, vread, history, search (with and without parameters), compartment
 * search, system and type history, batch and transaction entries, writes and operations.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let token: string;
const ids: Record<string, string> = {};

const as = (bearer: string) => withBearer(t.http, bearer);

beforeAll(async () => {
  t = await startSmartServer();
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  const a = as(admin);
  for (const p of ['A', 'B']) {
    ids[`patient${p}`] = (await a.put(`/fhir/Patient/pat-${p}`, { resourceType: 'Patient', id: `pat-${p}`, identifier: [{ system: 'urn:mi', value: `MI-${p}` }] })).body.id;
    ids[`obs${p}`] = (await a.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'hr' }, subject: { reference: `Patient/pat-${p}` } })).body.id;
    ids[`enc${p}`] = (await a.post('/fhir/Encounter', { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/pat-${p}` } })).body.id;
  }
  addPublicClient(t.auth, 'app', 'launch/patient patient/*.rs patient/Observation.cruds');
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  token = (await launch(t, 'app', 'launch/patient patient/*.rs patient/Observation.cruds', { username: 'ann' })).body.access_token;
});
afterAll(() => t.close());

const entryIds = (body: any) => (body.entry ?? []).filter((e: any) => e.search?.mode !== 'outcome').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();

describe('patient/ scopes confine a token to its patient', () => {
  it('reads its own records', async () => {
    expect((await as(token).get('/fhir/Patient/pat-A')).status).toBe(200);
    expect((await as(token).get(`/fhir/Observation/${ids.obsA}`)).status).toBe(200);
  });

  it.each([
    ['read', () => '/fhir/Patient/pat-B'],
    ['read of a compartment resource', () => `/fhir/Observation/${ids.obsB}`],
    ['vread', () => `/fhir/Observation/${ids.obsB}/_history/1`],
    ['instance history', () => `/fhir/Observation/${ids.obsB}/_history`],
    ['$validate of a stored resource', () => `/fhir/Observation/${ids.obsB}/$validate`],
  ])('%s of the other patient is 404, as if it did not exist', async (_what, url) => {
    const res = await as(token).get(url());
    expect(res.status).toBe(404);
    expect(res.body.issue[0].code).toBe('not-found');
    // nothing of the other patient's data comes back
    expect(JSON.stringify(res.body)).not.toMatch(/MI-B|"hr"|subject/);
  });

  it('searches see only its own compartment, whatever the parameters', async () => {
    expect(entryIds((await as(token).get('/fhir/Observation')).body)).toEqual([`Observation/${ids.obsA}`]);
    expect((await as(token).get('/fhir/Observation?patient=pat-B')).body.total).toBe(0);
    expect((await as(token).get(`/fhir/Observation?_id=${ids.obsB}`)).body.total).toBe(0);
    expect((await as(token).get('/fhir/Patient?identifier=urn:mi|MI-B')).body.total).toBe(0);
    expect(entryIds((await as(token).get('/fhir/Patient')).body)).toEqual(['Patient/pat-A']);
    expect((await as(token).get('/fhir/Patient/pat-B/Observation')).body.total).toBe(0);
    expect(entryIds((await as(token).get('/fhir/Patient/pat-A/Encounter')).body)).toEqual([`Encounter/${ids.encA}`]);
    // a misspelled parameter is ignored, but the compartment still applies
    expect(entryIds((await as(token).get('/fhir/Observation?patinet=pat-B')).body)).toEqual([`Observation/${ids.obsA}`]);
  });

  it('type and system history show only its own records', async () => {
    const type = (await as(token).get('/fhir/Observation/_history')).body;
    expect(type.entry.map((e: any) => e.resource.id)).toEqual([ids.obsA]);
    const system = (await as(token).get('/fhir/_history')).body;
    expect(system.entry.every((e: any) => JSON.stringify(e.resource).includes('pat-A'))).toBe(true);
  });

  it('batch and transaction entries pass the same gate', async () => {
    const batch = await as(token).post('/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'GET', url: 'Patient/pat-B' } }, { request: { method: 'GET', url: 'Observation?patient=pat-B' } }, { request: { method: 'GET', url: 'Patient/pat-A' } }],
    });
    expect(batch.body.entry.map((e: any) => e.response.status)).toEqual(['404 Not Found', '200 OK', '200 OK']);
    expect(batch.body.entry[1].resource.total).toBe(0);
    const tx = await as(token).post('/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pat-B' } }, request: { method: 'POST', url: 'Observation' } }],
    });
    expect(tx.status).toBe(403);
  });

  it('cannot write into another patient or move its own record there; writes need a write scope', async () => {
    expect((await as(token).post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pat-B' } })).status).toBe(403);
    expect((await as(token).put(`/fhir/Observation/${ids.obsA}`, { resourceType: 'Observation', id: ids.obsA, status: 'final', code: { text: 'hr' }, subject: { reference: 'Patient/pat-B' } })).status).toBe(403);
    expect((await as(token).put(`/fhir/Observation/${ids.obsB}`, { resourceType: 'Observation', id: ids.obsB, status: 'final', code: { text: 'hr' }, subject: { reference: 'Patient/pat-A' } })).status).toBe(404);
    expect((await as(token).post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'mine' }, subject: { reference: 'Patient/pat-A' } })).status).toBe(201);
    expect((await as(token).post('/fhir/Encounter', { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pat-A' } })).status).toBe(403);
    expect((await as(admin).get(`/fhir/Observation/${ids.obsB}`)).body.subject.reference).toBe('Patient/pat-B');
  });

  it('$everything gives its own record and nothing of the other patient', async () => {
    const own = await as(token).get('/fhir/Patient/pat-A/$everything?_count=1000');
    expect(own.status).toBe(200);
    const found = entryIds(own.body);
    expect(found).toEqual(expect.arrayContaining(['Patient/pat-A', `Observation/${ids.obsA}`, `Encounter/${ids.encA}`]));
    expect(JSON.stringify(own.body)).not.toContain('pat-B');
    expect((await as(token).get('/fhir/Patient/pat-B/$everything')).status).toBe(404);
  });

  it('cannot read the audit trail', async () => {
    expect((await as(token).get('/fhir/AuditEvent')).status).toBe(403);
  });
});

describe('granular scopes', () => {
  it('patient/Observation.rs?category=... returns exactly the matching subset', async () => {
    const a = as(admin);
    const vital = (await a.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { text: 'bp' }, subject: { reference: 'Patient/pat-A' } })).body.id;
    const lab = (await a.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }], code: { text: 'glucose' }, subject: { reference: 'Patient/pat-A' } })).body.id;
    const scope = 'launch/patient patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';
    addPublicClient(t.auth, 'granular', scope);
    const g = (await launch(t, 'granular', scope, { username: 'ann' })).body.access_token;
    expect(entryIds((await as(g).get('/fhir/Observation')).body)).toEqual([`Observation/${vital}`]);
    expect((await as(g).get(`/fhir/Observation/${lab}`)).status).toBe(404);
    expect((await as(g).get(`/fhir/Observation/${vital}`)).status).toBe(200);
    expect((await as(g).get('/fhir/Patient/pat-A')).status).toBe(403);
  });
});

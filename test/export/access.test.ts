import { addPublicClient, addSecretClient, addUser, launch, startSmartServer, systemToken } from '../smart/helpers';
import { ASYNC, asText, download, FHIR_JSON, ndjson, pathOf, poll } from './helpers';

/**
 * Who may export what: every page of an export runs under the grant of the token that started it,
 * the status and files answer only the client that started it, and a file is served only under a
 * token whose scopes read its type.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let exporter: string;
let exporterPatientsOnly: string;
let other: string;
let patientOnly: string;
let patientToken: string;
let userToken: string;
const bearer = (tok: string) => `Bearer ${tok}`;

beforeAll(async () => {
  t = await startSmartServer({ EXPORT_WORKERS: '0', EXPORT_PAGE_SIZE: '2' });
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  const put = (r: { resourceType: string; id: string; [k: string]: unknown }) =>
    t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Authorization', bearer(admin)).set('Content-Type', FHIR_JSON).send(r).expect((res) => expect(res.status).toBeLessThan(300));
  for (const p of ['A', 'B']) {
    await put({ resourceType: 'Patient', id: `pat-${p}`, name: [{ family: p }] });
    await put({ resourceType: 'Observation', id: `obs-${p}`, status: 'final', code: { text: 'hr' }, subject: { reference: `Patient/pat-${p}` } });
    await put({ resourceType: 'Coverage', id: `cov-${p}`, status: 'active', beneficiary: { reference: `Patient/pat-${p}` }, payor: [{ display: 'Fund' }] });
  }
  const secret = await addSecretClient(t.auth, 'exporter', 'system/Patient.rs system/Observation.rs');
  exporter = await systemToken(t, 'exporter', secret, 'system/Patient.rs system/Observation.rs');
  exporterPatientsOnly = await systemToken(t, 'exporter', secret, 'system/Patient.rs');
  other = await systemToken(t, 'other', await addSecretClient(t.auth, 'other', 'system/*.rs'), 'system/*.rs');
  patientOnly = await systemToken(t, 'narrow', await addSecretClient(t.auth, 'narrow', 'system/Patient.rs'), 'system/Patient.rs');
  addPublicClient(t.auth, 'app', 'launch/patient patient/*.rs user/*.rs');
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  patientToken = (await launch(t, 'app', 'launch/patient patient/*.rs', { username: 'ann' })).body.access_token;
  userToken = (await launch(t, 'app', 'user/*.rs', { username: 'ann' })).body.access_token;
});
afterAll(() => t.close());

async function run(tok: string, url: string) {
  const kick = await t.http.get(url).set(ASYNC).set('Authorization', bearer(tok));
  expect(kick.status).toBe(202);
  const done = await poll(t, kick.headers['content-location'], bearer(tok));
  expect(done.status).toBe(200);
  return { status: kick.headers['content-location'] as string, manifest: done.body };
}
const ids = (rs: { resourceType: string; id: string }[] = []) => rs.map((r) => `${r.resourceType}/${r.id}`).sort();

describe('export access', () => {
  it('needs a token', async () => {
    expect((await t.http.get('/fhir/$export').set(ASYNC)).status).toBe(401);
  });

  it('exports what a system token reads, and only its client sees the status and the files', async () => {
    const { status, manifest } = await run(exporter, '/fhir/$export');
    const files = await download(t, manifest, bearer(exporter));
    expect(Object.keys(files).sort()).toEqual(['Observation', 'Patient']);
    expect(ids(files.Patient)).toEqual(['Patient/pat-A', 'Patient/pat-B']);
    // another client: the job is unknown to it
    expect((await t.http.get(pathOf(status)).set('Authorization', bearer(other))).status).toBe(404);
    expect((await t.http.get(pathOf(manifest.output[0].url)).set('Authorization', bearer(other))).status).toBe(404);
    expect((await t.http.delete(pathOf(status)).set('Authorization', bearer(other))).status).toBe(404);
    expect((await t.http.get(pathOf(manifest.output[0].url))).status).toBe(401);
    // the same client with a token that no longer reads Observation gets the Patient file, not the Observation one
    const obsFile = manifest.output.find((o: { type: string }) => o.type === 'Observation').url;
    const patFile = manifest.output.find((o: { type: string }) => o.type === 'Patient').url;
    expect((await t.http.get(pathOf(obsFile)).set('Authorization', bearer(exporterPatientsOnly))).status).toBe(403);
    expect((await t.http.get(pathOf(patFile)).set('Authorization', bearer(exporterPatientsOnly))).status).toBe(200);
  });

  it('leaves out the types a token may not read, and says so in the error file', async () => {
    const { manifest } = await run(patientOnly, '/fhir/$export?_type=Patient,Observation,Coverage');
    const files = await download(t, manifest, bearer(patientOnly));
    expect(Object.keys(files)).toEqual(['Patient']);
    expect(manifest.error).toHaveLength(1);
    const errors = ndjson((await t.http.get(pathOf(manifest.error[0].url)).set('Authorization', bearer(patientOnly)).buffer(true).parse(asText)).body as string);
    expect(errors.map((e) => (e.issue as { diagnostics: string }[])[0].diagnostics).sort()).toEqual([
      'Coverage is not exported: the token has no read scope for it',
      'Observation is not exported: the token has no read scope for it',
    ]);
    // a token that reads none of the asked types is refused at kick-off
    expect((await t.http.get('/fhir/$export?_type=Coverage').set(ASYNC).set('Authorization', bearer(patientOnly))).status).toBe(403);
  });

  it("lets a patient token export its own record at Patient level, and nothing else", async () => {
    const { manifest } = await run(patientToken, '/fhir/Patient/$export');
    const files = await download(t, manifest, bearer(patientToken));
    expect(ids(Object.values(files).flat())).toEqual(['Coverage/cov-A', 'Observation/obs-A', 'Patient/pat-A']);
    expect((await t.http.get('/fhir/$export').set(ASYNC).set('Authorization', bearer(patientToken))).status).toBe(403);
    // user/ scopes do not export
    expect((await t.http.get('/fhir/Patient/$export').set(ASYNC).set('Authorization', bearer(userToken))).status).toBe(403);
  });

  it('keeps the grant in the job: a resumed job exports no more than the token could read', async () => {
    const kick = await t.http.get('/fhir/Patient/$export?_type=Patient,Observation').set(ASYNC).set('Authorization', bearer(patientToken));
    const id = pathOf(kick.headers['content-location']).split('/').pop() as string;
    const job = await t.server.exports.jobs.get(id);
    expect(JSON.parse(job!.request).grant).toEqual({ token: { clientId: 'app', scope: 'patient/*.rs', patient: 'pat-A', fhirUser: 'Patient/pat-A' } });
    const done = await poll(t, kick.headers['content-location'], bearer(patientToken));
    expect(ids(Object.values(await download(t, done.body, bearer(patientToken))).flat())).toEqual(['Observation/obs-A', 'Patient/pat-A']);
  });
});

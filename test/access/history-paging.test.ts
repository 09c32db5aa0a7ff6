import { addPublicClient, addSecretClient, addUser, launch, startSmartServer, systemToken, FHIR_JSON } from '../smart/helpers';

/**
 * History pages under a restricted grant: the guarded store passes over the versions the token does
 * not cover, so pages may hold fewer raw versions than they scanned; following `next` must still give
 * every covered version exactly once, newest first, and nothing else.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let patient: string;
const written: { patient: string; id: string; versionId: string }[] = [];

beforeAll(async () => {
  t = await startSmartServer();
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  const put = (url: string, body: object) => t.http.put(url).set('Authorization', `Bearer ${admin}`).set('Content-Type', FHIR_JSON).send(body);
  for (const p of ['A', 'B']) expect((await put(`/fhir/Patient/hp-${p}`, { resourceType: 'Patient', id: `hp-${p}` })).status).toBe(201);
  // A's versions come in threes among B's, so one raw page may hold more of them than the page has room for
  for (let n = 0; n < 36; n++) {
    const who = n % 6 < 3 ? 'A' : 'B';
    const id = `hobs-${n % 12}`;
    const res = await put(`/fhir/Observation/${id}`, { resourceType: 'Observation', id, status: 'final', code: { text: `n${n}` }, subject: { reference: `Patient/hp-${who}` } });
    expect(res.status).toBeLessThan(300);
    written.push({ patient: who, id, versionId: res.body.meta.versionId });
  }
  addPublicClient(t.auth, 'app', 'launch/patient patient/*.rs');
  await addUser(t.auth, 'ann', 'Patient/hp-A');
  patient = (await launch(t, 'app', 'launch/patient patient/*.rs', { username: 'ann' })).body.access_token;
});
afterAll(() => t.close());

it('type history pages give each of the patient’s versions once, newest first, and none of the other’s', async () => {
  const seen: string[] = [];
  let url: string | undefined = '/fhir/Observation/_history?_count=2';
  for (let pages = 0; url && pages < 50; pages++) {
    const res = await t.http.get(url).set('Authorization', `Bearer ${patient}`);
    expect(res.status).toBe(200);
    expect(res.body.entry?.length ?? 0).toBeLessThanOrEqual(2);
    for (const e of res.body.entry ?? []) seen.push(`${e.resource.id}/${e.resource.meta.versionId}`);
    const next = res.body.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    url = next?.replace('http://localhost:8080', '');
  }
  const own = written.filter((w) => w.patient === 'A').map((w) => `${w.id}/${w.versionId}`).reverse();
  expect(own.length).toBe(18);
  expect(seen).toEqual(own);
});

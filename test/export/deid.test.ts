import { addSecretClient, startSmartServer, systemToken } from '../smart/helpers';
import { ASYNC, asText, FHIR_JSON, ndjson, pathOf, poll } from './helpers';

/**
 * `_deid=pseudonymised` end to end: what the files of two recipients hold, and what they do not.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let insurerA: string;
let insurerB: string;
const bearer = (tok: string) => `Bearer ${tok}`;
type R = { resourceType: string; id: string; [k: string]: unknown };

const SECRETS = ['Zhang', 'Li Si', '11010519491231002X', 'INS-778899', '13812345678', '13900001111', 'Chaoyang Road', 'p-zhang', 'p-li', 'enc-1', 'obs-1', 'obs-2', 'dr-wang', 'Dr Wang'];

beforeAll(async () => {
  t = await startSmartServer({ EXPORT_WORKERS: '0', EXPORT_PAGE_SIZE: '2' });
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  const put = (r: R) => t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Authorization', bearer(admin)).set('Content-Type', FHIR_JSON).send(r).expect((res) => expect(res.status).toBeLessThan(300));
  await put({ resourceType: 'Practitioner', id: 'dr-wang', name: [{ family: 'Wang', text: 'Dr Wang' }] });
  for (const [id, family] of [['p-zhang', 'Zhang'], ['p-li', 'Li Si']]) {
    await put({
      resourceType: 'Patient',
      id,
      identifier: [{ system: 'urn:oid:1.2.156.112604.1.1.1', value: id === 'p-zhang' ? '11010519491231002X' : 'INS-778899' }],
      name: [{ text: family }],
      telecom: [{ system: 'phone', value: id === 'p-zhang' ? '13812345678' : '13900001111' }],
      address: [{ line: ['Chaoyang Road 12'], postalCode: '100020', country: 'CN' }],
      gender: 'male',
      birthDate: '1970-03-15',
    });
  }
  await put({ resourceType: 'Encounter', id: 'enc-1', status: 'finished', class: { code: 'IMP' }, subject: { reference: 'Patient/p-zhang', display: 'Zhang' }, participant: [{ individual: { reference: 'Practitioner/dr-wang', display: 'Dr Wang' } }], period: { start: '2026-02-27T20:00:00+08:00', end: '2026-03-03T10:00:00+08:00' } });
  for (const [id, when] of [['obs-1', '2026-02-28T08:00:00+08:00'], ['obs-2', '2026-03-02T08:00:00+08:00']]) {
    await put({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
      subject: { reference: 'Patient/p-zhang' },
      encounter: { reference: 'Encounter/enc-1' },
      effectiveDateTime: when,
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      note: [{ text: 'called 13812345678' }],
    });
  }
  insurerA = await systemToken(t, 'insurer-a', await addSecretClient(t.auth, 'insurer-a', 'system/*.rs'), 'system/*.rs');
  insurerB = await systemToken(t, 'insurer-b', await addSecretClient(t.auth, 'insurer-b', 'system/*.rs'), 'system/*.rs');
});
afterAll(() => t.close());

/** Runs an export and returns the raw text of each output file and the resources in them. */
async function exportAs(tok: string, url: string) {
  const kick = await t.http.get(url).set(ASYNC).set('Authorization', bearer(tok));
  expect(kick.status).toBe(202);
  const done = await poll(t, kick.headers['content-location'], bearer(tok));
  expect(done.status).toBe(200);
  let raw = '';
  for (const f of [...done.body.output, ...(done.body.deleted ?? [])]) {
    const res = await t.http.get(pathOf(f.url)).set('Authorization', bearer(tok)).buffer(true).parse(asText);
    expect(res.status).toBe(200);
    raw += res.body as string;
  }
  const resources = ndjson(raw) as R[];
  const of = (type: string) => resources.filter((r) => r.resourceType === type);
  return { raw, resources, of, manifest: done.body };
}
const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;

describe('export with _deid=pseudonymised', () => {
  it('refuses an anonymised export without Patient, or with _since: its risk is measured over the persons of one release', async () => {
    const noPatient = await t.http.get('/fhir/$export?_type=Observation&_deid=anonymised').set(ASYNC).set('Authorization', bearer(insurerA));
    expect(noPatient.status).toBe(400);
    expect(noPatient.body.issue[0]).toMatchObject({ code: 'not-supported', diagnostics: expect.stringMatching(/needs Patient/) });
    const since = await t.http.get('/fhir/$export?_type=Patient&_since=2026-01-01T00:00:00Z&_deid=anonymised').set(ASYNC).set('Authorization', bearer(insurerA));
    expect(since.status).toBe(400);
    expect(since.body.issue[0].diagnostics).toMatch(/cannot be combined with _since/);
  });

  it('writes files with no name, identifier value, telecom or original id, whose references resolve among themselves', async () => {
    const { raw, resources, of } = await exportAs(insurerA, '/fhir/$export?_type=Patient,Encounter,Observation,Practitioner&_deid=pseudonymised');
    expect(of('Patient')).toHaveLength(2);
    expect(of('Observation')).toHaveLength(2);
    for (const s of SECRETS) expect(raw).not.toContain(s);
    for (const p of of('Patient')) {
      expect([p.name, p.identifier, p.telecom]).toEqual([undefined, undefined, undefined]);
      expect(p.address).toEqual([{ postalCode: '1000', country: 'CN' }]);
      expect((p.meta as { security: { code: string }[] }).security.map((c) => c.code).sort()).toEqual(['MASKED', 'PSEUDED', 'REDACTED']);
    }
    const known = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) k === 'reference' && typeof x === 'string' ? refs.push(x) : walk(x);
    };
    resources.forEach(walk);
    expect(refs.length).toBeGreaterThanOrEqual(6);
    for (const ref of refs) expect(known).toContain(ref);
    // codes and values stay
    expect(of('Observation')[0]).toMatchObject({ code: { coding: [{ code: '8867-4', display: 'Heart rate' }] }, valueQuantity: { value: 72 } });
  });

  it('keeps the intervals between one person\'s dates, and moves them', async () => {
    const { of } = await exportAs(insurerA, '/fhir/$export?_type=Patient,Encounter,Observation&_deid=pseudonymised');
    const enc = of('Encounter')[0] as unknown as { period: { start: string; end: string }; subject: { reference: string } };
    const zhang = of('Patient').find((p) => `Patient/${p.id}` === enc.subject.reference) as R & { birthDate: string };
    const obs = of('Observation').map((o) => o.effectiveDateTime as string).sort();
    expect(days(enc.period.start, enc.period.end)).toBe(days('2026-02-27T20:00:00+08:00', '2026-03-03T10:00:00+08:00'));
    expect(days(obs[0], obs[1])).toBe(2);
    expect(days(enc.period.start, obs[0])).toBe(days('2026-02-27T20:00:00+08:00', '2026-02-28T08:00:00+08:00'));
    const shift = days('2026-02-27T20:00:00+08:00', enc.period.start);
    expect(shift).not.toBe(0);
    expect(Math.abs(shift)).toBeLessThanOrEqual(365);
    expect(days('1970-03-15', zhang.birthDate)).toBe(shift);
  });

  it('gives two clients different pseudonyms for the same patient, and one client the same ones every time', async () => {
    const a1 = await exportAs(insurerA, '/fhir/$export?_type=Patient&_deid=pseudonymised');
    const a2 = await exportAs(insurerA, '/fhir/$export?_type=Patient&_deid=pseudonymised');
    const b = await exportAs(insurerB, '/fhir/$export?_type=Patient&_deid=pseudonymised');
    const ids = (x: typeof a1) => x.of('Patient').map((p) => p.id).sort();
    expect(ids(a1)).toEqual(ids(a2));
    expect(ids(b).some((id) => ids(a1).includes(id))).toBe(false);
  });

  it('pseudonymises what the export writes itself: the organizeOutputBy header and the deletions', async () => {
    const byPatient = await exportAs(insurerA, '/fhir/Patient/$export?_type=Patient,Observation&organizeOutputBy=Patient&_deid=pseudonymised');
    const headers = byPatient.of('Parameters') as unknown as { parameter: { valueReference: { reference: string } }[] }[];
    expect(headers).toHaveLength(2);
    const patients = new Set(byPatient.of('Patient').map((p) => `Patient/${p.id}`));
    for (const h of headers) expect(patients).toContain(h.parameter[0].valueReference.reference);

    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    expect((await t.http.delete('/fhir/Observation/obs-2').set('Authorization', bearer(admin))).status).toBeLessThan(300);
    const since = await exportAs(insurerA, `/fhir/$export?_type=Observation&_since=${encodeURIComponent(before)}&_deid=pseudonymised`);
    expect(since.manifest.deleted).toHaveLength(1);
    expect(since.raw).not.toContain('obs-2');
    const bundle = since.of('Bundle')[0] as unknown as { entry: { request: { url: string } }[] };
    expect(bundle.entry[0].request.url).toMatch(/^Observation\/[A-Za-z0-9\-.]{32}$/);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { pseudonym, recipientKey, serverSecret } from '../../src/export/deid-keys';
import type { ExportProgress } from '../../src/export/job';
import { runExportJob } from '../../src/export/runner';
import { RISK_REPORT_URL } from '../../src/export/service';
import { addSecretClient, startSmartServer, systemToken } from '../smart/helpers';
import { ASYNC, asText, FHIR_JSON, ndjson, pathOf, poll } from './helpers';

/**
 * `_deid=anonymised` end to end. The population: 30 persons in classes of 3 and 6 once births are
 * banded by five years, each class with three diagnosis chapters, one of them with a diagnosis
 * nobody else has, and one person nobody resembles (born 1931, a man, in the second region). The risk report is checked against what the released
 * files themselves show, recomputed here without the server's risk code.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let admin: string;
let analyst: string;
const bearer = (tok: string) => `Bearer ${tok}`;
type R = { resourceType: string; id: string; [k: string]: unknown };
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const K = 3;

const population: R[] = [];
function person(id: string, gender: string, birthDate: string, district: string, starts: string[], chapter: string, rare?: string) {
  population.push({ resourceType: 'Patient', id, name: [{ text: `Name ${id}` }], identifier: [{ system: 'urn:example:min', value: `MIN-${id}` }], gender, birthDate, address: [{ line: ['1 Road'], district, country: 'CN' }] });
  starts.forEach((start, i) => population.push({ resourceType: 'Encounter', id: `${id}-e${i}`, status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${id}` }, period: { start } }));
  population.push({ resourceType: 'Condition', id: `${id}-dx`, subject: { reference: `Patient/${id}` }, code: { coding: [{ system: ICD10, code: `${chapter}11` }], text: 'written by hand' } });
  if (rare) population.push({ resourceType: 'Condition', id: `${id}-rare`, subject: { reference: `Patient/${id}` }, code: { coding: [{ system: ICD10, code: rare }] } });
  population.push({ resourceType: 'Observation', id: `${id}-o`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${id}` }, effectiveDateTime: '2026-03-10T09:30:00+08:00', valueQuantity: { value: 70 } });
}
const ONE_VISIT = ['2026-03-10T08:00:00+08:00'];
// two visits in March count as one month: three encounters, two months
const TWO_MONTHS = ['2026-03-10T08:00:00+08:00', '2026-03-25T08:00:00+08:00', '2026-05-20T08:00:00+08:00'];
const CHAPTERS = ['E', 'I', 'J'];
for (const gender of ['female', 'male']) {
  for (const [v, starts] of [ONE_VISIT, TWO_MONTHS].entries()) {
    // one woman of the first class also has a rare diagnosis (Q87.4): a class of her own
    const rare = (j: number) => (gender === 'female' && v === 0 && j === 5 ? 'Q87.4' : undefined);
    for (let j = 0; j < 6; j++) person(`a-${gender}-${v}-${j}`, gender, `${1970 + (j % 5)}-0${1 + j}-1${j}`, j % 2 ? '110105' : '110108', starts, CHAPTERS[j % 3], rare(j));
  }
}
for (const [v, starts] of [ONE_VISIT, TWO_MONTHS].entries()) for (let j = 0; j < 3; j++) person(`b-${v}-${j}`, 'female', `${1980 + j}-07-01`, '310104', starts, CHAPTERS[j]);
person('unique-1931', 'male', '1931-05-01', '310104', ONE_VISIT, 'C');

beforeAll(async () => {
  t = await startSmartServer({ EXPORT_WORKERS: '0', EXPORT_PAGE_SIZE: '7', EXPORT_ANON_K: String(K), EXPORT_ANON_L: '2', EXPORT_ANON_MAX_AVERAGE_RISK: '0.34', EXPORT_ANON_MAX_SUPPRESSION: '0.1' });
  admin = await systemToken(t, 'admin', await addSecretClient(t.auth, 'admin', 'system/*.cruds'), 'system/*.cruds');
  const entry = [...population, { resourceType: 'Group', id: 'pair', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/b-0-0' } }, { entity: { reference: 'Patient/b-0-1' } }] }].map((resource) => ({
    resource,
    request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
  }));
  const res = await t.http.post('/fhir').set('Authorization', bearer(admin)).set('Content-Type', FHIR_JSON).send({ resourceType: 'Bundle', type: 'transaction', entry });
  expect(res.status).toBe(200);
  analyst = await systemToken(t, 'analyst', await addSecretClient(t.auth, 'analyst', 'system/*.rs'), 'system/*.rs');
}, 60_000);
afterAll(() => t.close());

async function exportAs(url: string) {
  const kick = await t.http.get(url).set(ASYNC).set('Authorization', bearer(analyst));
  expect(kick.status).toBe(202);
  const statusUrl = kick.headers['content-location'] as string;
  const done = await poll(t, statusUrl, bearer(analyst));
  expect(done.status).toBe(200);
  const text = async (f: { url: string }) => (await t.http.get(pathOf(f.url)).set('Authorization', bearer(analyst)).buffer(true).parse(asText)).body as string;
  let raw = '';
  for (const f of done.body.output) raw += await text(f);
  const errors = [];
  for (const f of done.body.error) errors.push(...ndjson(await text(f)));
  const resources = ndjson(raw) as R[];
  return { id: statusUrl.split('/').pop() as string, raw, resources, of: (type: string) => resources.filter((r) => r.resourceType === type), manifest: done.body, errors, report: done.body.extension?.[RISK_REPORT_URL] };
}

/** What a recipient can match a person on, read from the released files alone. */
function classesOf(files: Awaited<ReturnType<typeof exportAs>>) {
  const months = new Map<string, Set<string>>();
  for (const e of files.of('Encounter')) {
    const who = (e.subject as { reference: string }).reference;
    const set = months.get(who) ?? new Set<string>();
    set.add((e.period as { start: string }).start.slice(0, 7));
    months.set(who, set);
  }
  const chapters = new Map<string, Record<string, number>>();
  const categories = new Map<string, Set<string>>();
  for (const c of files.of('Condition')) {
    const who = (c.subject as { reference: string }).reference;
    const counts = chapters.get(who) ?? {};
    for (const coding of (c.code as { coding: { system: string; code: string }[] }).coding) {
      if (coding.system !== ICD10) continue;
      counts[coding.code[0]] = (counts[coding.code[0]] ?? 0) + 1;
      const holders = categories.get(coding.code.slice(0, 3)) ?? new Set<string>();
      holders.add(who);
      categories.set(coding.code.slice(0, 3), holders);
    }
    chapters.set(who, counts);
  }
  const rareFor = (ref: string) => [...categories.values()].some((holders) => holders.has(ref) && holders.size < K);
  const band = (n: number) => (n <= 1 ? String(n) : n <= 3 ? '2-3' : n <= 7 ? '4-7' : '8+');
  const classes = new Map<string, { members: string[]; chapters: Set<string>; tops: string[] }>();
  for (const p of files.of('Patient')) {
    const ref = `Patient/${p.id}`;
    const ext = (p.extension as { valuePeriod: { start?: string; end: string } }[] | undefined)?.[0]?.valuePeriod;
    const birth = (p.birthDate as string | undefined) ?? (ext ? `${ext.start ?? ''}-${ext.end}` : '');
    const region = ((p.address as Record<string, string>[] | undefined) ?? []).map((a) => Object.keys(a).filter((k) => k !== 'use' && k !== 'type').sort().map((k) => `${k}=${a[k]}`).join(',')).sort().join('|');
    const counts = chapters.get(ref) ?? {};
    const top = Object.keys(counts).sort((x, y) => counts[y] - counts[x] || (x < y ? -1 : 1))[0] ?? 'none';
    const key = [birth, p.gender ?? '', region, band(months.get(ref)?.size ?? 0), rareFor(ref)].join(' / ');
    const c = classes.get(key) ?? { members: [], chapters: new Set<string>(), tops: [] };
    c.members.push(ref);
    c.chapters.add(top);
    c.tops.push(top);
    classes.set(key, c);
  }
  return classes;
}

describe('export with _deid=anonymised', () => {
  let files: Awaited<ReturnType<typeof exportAs>>;
  beforeAll(async () => {
    files = await exportAs('/fhir/$export?_type=Patient,Encounter,Condition,Observation&_deid=anonymised');
  });

  it('reports the k, prosecutor risks and l that the released files show', () => {
    const classes = [...classesOf(files).values()];
    const released = files.of('Patient').length;
    const kMin = Math.min(...classes.map((c) => c.members.length));
    const lMin = Math.min(...classes.map((c) => c.chapters.size));
    const share = (values: string[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1 / values.length), new Map<string, number>());
    const whole = share(classes.flatMap((c) => c.tops));
    const tMax = Math.max(...classes.map((c) => [...whole].reduce((sum, [v, q]) => sum + Math.abs((share(c.tops).get(v) ?? 0) - q), 0) / 2));
    expect(released).toBe(29);
    expect(kMin).toBeGreaterThanOrEqual(K);
    expect(files.report).toMatchObject({
      met: true,
      persons: 31,
      released,
      suppressed: 2,
      suppressedBelowK: 2,
      classes: classes.length,
      kMin,
      maxRisk: Math.round((1 / kMin) * 1e6) / 1e6,
      averageRisk: Math.round((classes.length / released) * 1e6) / 1e6,
      lMin,
      tMax: Math.round(tMax * 1e6) / 1e6,
      failed: [],
      policy: { k: K, l: 2, maxAverageRisk: 0.34, maxSuppression: 0.1, dates: 'month' },
      quasiIdentifiers: ['birth', 'sex', 'region', 'visitMonths', 'rareDiagnosis'],
      sensitiveAttribute: 'diagnosisChapter',
      lApplied: true,
    });
    expect(files.report.suppressionRate).toBeCloseTo(2 / 31, 5);
    // years alone would leave classes of one or two: births went to five-year bands, regions stayed at the county
    expect(files.report.generalisation).toMatchObject({ birth: { level: 1, releases: '5-year band' }, region: { level: 0 } });
    expect(classes.map((c) => c.members.length).sort()).toEqual([3, 3, 5, 6, 6, 6]);
    expect(files.report.benchmarks).toContainEqual({ benchmark: 'persons per sex', category: 'male', source: 13, released: 12, relativeError: 0.076923 });
    expect(files.report.benchmarks).toContainEqual({ benchmark: 'persons per birth decade', category: '1970s', source: 24, released: 23, relativeError: 0.041667 });
  });

  it('never releases the one person born 1931 in the second region, nor the one with a rare diagnosis: nothing of theirs is in any file', () => {
    const key = recipientKey(serverSecret(t.dataDir), 'analyst');
    for (const id of ['unique-1931', 'a-female-0-5']) expect(files.raw).not.toContain(pseudonym(key, 'Patient', id));
    expect(files.raw).toContain(pseudonym(key, 'Patient', 'a-female-0-4'));
    const inFile = (type: string) => files.of(type).map((r) => (r.subject as { reference: string }).reference);
    const patients = new Set(files.of('Patient').map((p) => `Patient/${p.id}`));
    for (const type of ['Encounter', 'Condition', 'Observation']) for (const ref of inFile(type)) expect(patients).toContain(ref);
    expect(files.of('Condition')).toHaveLength(29);
    expect(files.of('Encounter')).toHaveLength(11 * 1 + 12 * 3 + 3 + 3 * 3);
    expect(files.raw).not.toMatch(/"C11"|Q87|1931|MIN-|Name |written by hand|1 Road/);
  });

  it('releases Patients cut to their quasi-identifiers, dates to the month, and labels what it did', () => {
    const p = files.of('Patient').find((x) => (x.address as { district: string }[])[0].district === '3101') as R;
    expect(p).toEqual({
      resourceType: 'Patient',
      id: expect.stringMatching(/^[A-Za-z0-9\-.]{32}$/),
      meta: { versionId: '1', lastUpdated: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00Z$/), security: expect.any(Array) },
      gender: 'female',
      address: [{ district: '3101', country: 'CN' }],
      extension: [{ url: 'http://insured.example.org/fhir/StructureDefinition/birth-date-band', valuePeriod: { start: '1980', end: '1984' } }],
    });
    expect((p.meta as { security: { code: string }[] }).security.map((c) => c.code).sort()).toEqual(['MASKED', 'PSEUDED', 'REDACTED']);
    expect(new Set(files.of('Encounter').map((e) => (e.period as { start: string }).start))).toEqual(new Set(['2026-03', '2026-05']));
    expect(files.of('Observation')[0]).toMatchObject({ effectiveDateTime: '2026-03', valueQuantity: { value: 70 } });
  });

  it('keeps the Bulk Data manifest fields and carries the report in its extension object and a JSON file', async () => {
    expect(Object.keys(files.manifest).sort()).toEqual(['error', 'extension', 'output', 'request', 'requiresAccessToken', 'transactionTime']);
    expect(files.manifest.output.map((o: { type: string }) => o.type).sort()).toEqual(['Condition', 'Encounter', 'Observation', 'Patient']);
    expect(files.manifest.error).toEqual([]);
    const { url, ...report } = files.report;
    expect(url).toMatch(/\/\$export-file\/[0-9a-f-]{36}\/risk-report\.json$/);
    const res = await t.http.get(pathOf(url)).set('Authorization', bearer(analyst));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(report);
    expect((await t.http.get(pathOf(url)).set('Authorization', bearer(admin))).status).toBe(404);
  });

  it('leaves out a suppressed person\'s resources even when _elements leaves out their subject', async () => {
    const shaped = await exportAs('/fhir/$export?_type=Patient,Encounter&_elements=Encounter.status&_deid=anonymised');
    // no Condition is released: no diagnosis is rare, none can be given away (l is not required); the man born 1931 is still left out
    expect(shaped.report).toMatchObject({ met: true, lApplied: false, suppressed: 1, persons: 31 });
    expect(shaped.of('Encounter')).toHaveLength(12 * 1 + 12 * 3 + 3 + 3 * 3);
    expect(shaped.raw).not.toContain(pseudonym(recipientKey(serverSecret(t.dataDir), 'analyst'), 'Encounter', 'unique-1931-e0'));
    for (const e of shaped.of('Encounter')) expect(Object.keys(e).sort()).toEqual(['class', 'id', 'meta', 'resourceType', 'status']);
    expect((shaped.of('Encounter')[0].meta as { tag: { code: string }[] }).tag.map((c) => c.code)).toEqual(['SUBSETTED']);
  });

  it('leaves a suppressed person out of a by-patient export too, header and all', async () => {
    const byPatient = await exportAs('/fhir/Patient/$export?_type=Patient,Condition&organizeOutputBy=Patient&_deid=anonymised');
    expect(byPatient.of('Parameters')).toHaveLength(29);
    expect(byPatient.of('Patient')).toHaveLength(29);
    expect(byPatient.report).toMatchObject({ met: true, suppressed: 2 });
  });

  it('fails a release that cannot meet the policy: no data file, the reason in error, the report beside it', async () => {
    const pair = await exportAs('/fhir/Group/pair/$export?_type=Patient,Condition&_deid=anonymised');
    expect(pair.manifest.output).toEqual([]);
    expect(pair.errors).toHaveLength(1);
    expect(pair.errors[0]).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule' }] });
    const why = (pair.errors[0].issue as { diagnostics: string }[])[0].diagnostics;
    expect(why).toBe(
      'The anonymised release does not meet its policy (no class holds k = 3 persons or more with l = 2 sensitive values or more: nobody can be released; ' +
        'suppression 100 % exceeds 10 % (2 persons in classes below k = 3, 0 persons in classes with fewer than l = 2 sensitive values)); no data file is released'
    );
    expect(pair.report).toMatchObject({ met: false, persons: 2, released: 0, kMin: 0 });
    // the report stays, to say why; no data file was written
    expect(fs.readdirSync(path.join(t.dataDir, 'export', pair.id)).sort()).toEqual(['error-1.ndjson', 'risk-report.json']);
  });

  /** Kicks off, lets worker A write one page of output and lose its lease to worker B, then runs `between` and worker B. */
  async function interrupted(between: () => Promise<void>) {
    const kick = await t.http.get('/fhir/$export?_type=Patient,Condition&_deid=anonymised').set(ASYNC).set('Authorization', bearer(analyst));
    const statusUrl = kick.headers['content-location'] as string;
    const id = statusUrl.split('/').pop() as string;
    const { jobs, runner } = t.server.exports;
    const onPage = runner.onPage;
    try {
      const a = await jobs.claim('export', 'worker-a', Date.now(), 60_000);
      expect(a?.id).toBe(id);
      let b: Awaited<ReturnType<typeof jobs.claim>>;
      runner.onPage = async (_job, p: ExportProgress) => {
        if (b || !p.files.some((f) => f.kind === 'output' && f.count > 0)) return;
        expect(p.anonymised?.report.met).toBe(true);
        await jobs.update(id, { leaseUntil: 0 }, Date.now());
        b = await jobs.claim('export', 'worker-b', Date.now(), 60_000);
      };
      expect(await runExportJob(runner, a!, 'worker-a')).toBe('lost');
      runner.onPage = onPage;
      await between();
      return { outcome: await runExportJob(runner, b!, 'worker-b'), status: await poll(t, statusUrl, bearer(analyst)) };
    } finally {
      runner.onPage = onPage;
    }
  }

  it('resumes an interrupted job from its last page when it measures the same population again', async () => {
    const { outcome, status } = await interrupted(async () => undefined);
    expect(outcome).toBe('completed');
    expect(status.body.extension[RISK_REPORT_URL]).toMatchObject({ met: true, released: 29, suppressed: 2 });
    let raw = '';
    for (const f of status.body.output) raw += (await t.http.get(pathOf(f.url)).set('Authorization', bearer(analyst)).buffer(true).parse(asText)).body as string;
    const resources = ndjson(raw);
    const patients = resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id);
    expect(patients).toHaveLength(29);
    expect(new Set(patients).size).toBe(29);
    expect(resources.filter((r) => r.resourceType === 'Condition')).toHaveLength(29);
  });

  it('fails an interrupted job whose population changed before it resumed: its first files were cut to the first measurement', async () => {
    const { outcome, status } = await interrupted(async () => {
      const res = await t.http.put('/fhir/Patient/a-female-0-0').set('Authorization', bearer(admin)).set('Content-Type', FHIR_JSON).send({ ...population[0], gender: 'male' });
      expect(res.status).toBe(200);
    });
    expect(outcome).toBe('failed');
    expect(status.status).toBe(500);
    expect(status.body.issue[0]).toMatchObject({ code: 'processing', diagnostics: expect.stringMatching(/data changed while this anonymised export was interrupted/) });
  });
});

import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

/**
 * Patient/$everything over a realistic insured family: each person's compartment plus the resources
 * it refers to, each once, across pages; filters by _type, _since, start/end; nothing of others.
 */
let t: TestServer;
const expected: Record<string, Set<string>> = {};

function family(tag: string) {
  const e: any[] = [];
  const add = (key: string, resource: any) => e.push({ fullUrl: `urn:uuid:${key}`, resource, request: { method: 'POST', url: resource.resourceType } });
  const uuid = (n: number) => `${tag.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${String(n).padStart(12, '0')}`;
  add(uuid(1), { resourceType: 'Organization', name: `Hospital ${tag}` });
  add(uuid(2), { resourceType: 'Practitioner', name: [{ family: `Doc ${tag}` }] });
  add(uuid(3), { resourceType: 'Medication', code: { text: `Metformin ${tag}` } });
  add(uuid(4), { resourceType: 'Device', deviceName: [{ name: `Watch ${tag}`, type: 'user-friendly-name' }] });
  add(uuid(5), { resourceType: 'Location', name: `Ward ${tag}` });
  const people = ['adult1', 'adult2', 'child'];
  people.forEach((who, i) => {
    const p = uuid(10 + i * 20);
    const ref = { reference: `urn:uuid:${p}` };
    add(p, { resourceType: 'Patient', name: [{ family: tag, given: [who] }], generalPractitioner: [{ reference: `urn:uuid:${uuid(2)}` }], managingOrganization: { reference: `urn:uuid:${uuid(1)}` } });
    add(uuid(11 + i * 20), { resourceType: 'Encounter', status: 'finished', class: { code: 'IMP' }, subject: ref, period: { start: '2025-03-01', end: '2025-03-05' }, location: [{ location: { reference: `urn:uuid:${uuid(5)}` } }], serviceProvider: { reference: `urn:uuid:${uuid(1)}` } });
    add(uuid(12 + i * 20), { resourceType: 'Condition', subject: ref, code: { text: 'type 2 diabetes' }, recordedDate: '2020-06-01' });
    add(uuid(13 + i * 20), { resourceType: 'Observation', status: 'final', code: { text: 'heart rate' }, subject: ref, effectiveDateTime: '2026-10-01T08:00:00Z', device: { reference: `urn:uuid:${uuid(4)}` } });
    add(uuid(14 + i * 20), { resourceType: 'Observation', status: 'final', code: { text: 'steps' }, subject: ref, effectiveDateTime: '2019-01-01T08:00:00Z' });
    add(uuid(15 + i * 20), { resourceType: 'MedicationDispense', status: 'completed', medicationReference: { reference: `urn:uuid:${uuid(3)}` }, subject: ref });
    add(uuid(16 + i * 20), { resourceType: 'Claim', status: 'active', use: 'claim', type: { text: 'institutional' }, patient: ref, created: '2025-03-05', provider: { reference: `urn:uuid:${uuid(1)}` }, priority: { text: 'normal' }, insurance: [{ sequence: 1, focal: true, coverage: { reference: `urn:uuid:${uuid(17 + i * 20)}` } }] });
    add(uuid(17 + i * 20), { resourceType: 'Coverage', status: 'active', beneficiary: ref, payor: [{ reference: `urn:uuid:${uuid(1)}` }] });
    // insurance records modelled on Basic (contributions, account transactions, credit records)
    add(uuid(18 + i * 20), { resourceType: 'Basic', code: { text: 'contribution' }, subject: ref, created: '2026-01-01' });
    add(uuid(19 + i * 20), { resourceType: 'Basic', code: { text: 'credit-record' }, subject: ref, created: '2026-02-01' });
    add(uuid(20 + i * 20), { resourceType: 'Account', status: 'active', subject: [ref], name: 'personal account' });
    add(uuid(21 + i * 20), { resourceType: 'Basic', code: { text: 'account-transaction' }, subject: ref, created: '2026-03-05', extension: [{ url: 'http://example.org/account', valueReference: { reference: `urn:uuid:${uuid(20 + i * 20)}` } }] });
  });
  add(uuid(90), { resourceType: 'RelatedPerson', patient: { reference: `urn:uuid:${uuid(10)}` }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'SPS' }] }] });
  return { resourceType: 'Bundle', type: 'transaction', entry: e };
}

async function everything(url: string): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next) {
    const res = await t.http.get(next.replace('http://localhost:8080', ''));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    ids.push(...(res.body.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`));
    sizes.push((res.body.entry ?? []).length);
    next = res.body.link.find((l: any) => l.relation === 'next')?.url;
    pages++;
    if (pages > 100) throw new Error('paging does not end');
  }
  return { ids, pages, sizes };
}

let adult1: string;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
  for (const tag of ['famA', 'famB']) {
    const bundle = family(tag);
    const res = await t.http.post('/fhir').set('Content-Type', FHIR_JSON).send(bundle);
    expect(res.status).toBe(200);
    const byUrn = new Map<string, string>(bundle.entry.map((e: any, i: number) => [e.fullUrl, res.body.entry[i].response.location.split('/_history')[0]]));
    // what the compartment rules require for the first adult: the person, everything naming them, and what those refer to
    const patientUrn = bundle.entry.find((e: any) => e.resource.resourceType === 'Patient').fullUrl as string;
    if (tag === 'famA') adult1 = byUrn.get(patientUrn) as string;
    // the compartment: the person and every resource that names them; then what those refer to
    const mine = bundle.entry.filter((e: any) => e.fullUrl === patientUrn || JSON.stringify(e.resource).includes(`"${patientUrn}"`));
    const set = new Set<string>(mine.map((e: any) => byUrn.get(e.fullUrl) as string));
    for (const e of mine) for (const m of JSON.stringify(e.resource).matchAll(/urn:uuid:[^"]+/g)) set.add(byUrn.get(m[0]) as string);
    expected[tag] = set;
  }
});
afterAll(() => t.close());

describe('Patient/$everything', () => {
  it('returns the patient first, its compartment and what it refers to, each once, and nothing of the other family', async () => {
    const { ids } = await everything(`/fhir/${adult1}/$everything?_count=1000`);
    expect(ids[0]).toBe(adult1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(expected.famA);
    expect(ids.some((id) => /Organization|Practitioner|Medication|Device|Location/.test(id))).toBe(true);
  });

  it('pages with a small _count through the same set exactly once', async () => {
    const { ids, pages, sizes } = await everything(`/fhir/${adult1}/$everything?_count=3`);
    expect(pages).toBeGreaterThan(4);
    // the Patient counts: the first page is the Patient and 2 more, no page holds more than _count
    expect(ids[0]).toBe(adult1);
    expect(sizes[0]).toBe(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(ids.length).toBe(expected.famA.size);
    expect(new Set(ids)).toEqual(expected.famA);
  });

  it('_count=1: the Patient alone on the first page, then the rest one by one', async () => {
    const { ids, sizes } = await everything(`/fhir/${adult1}/$everything?_count=1`);
    expect(ids[0]).toBe(adult1);
    expect(Math.max(...sizes)).toBe(1);
    expect(new Set(ids)).toEqual(expected.famA);
    expect(ids.length).toBe(expected.famA.size);
  });

  it('_count is parsed as searches parse it: not a whole number is 400, nothing is answered for it', async () => {
    for (const bad of ['abc', '-1', '2.5']) {
      const res = await t.http.get(`/fhir/${adult1}/$everything?_count=${bad}`);
      expect({ status: res.status, code: res.body.issue?.[0]?.details?.coding?.[0]?.code, entry: res.body.entry }).toEqual({ status: 400, code: 'FHIR-0400-COUNT', entry: undefined });
    }
  });

  it('_type keeps only the named types', async () => {
    const { ids } = await everything(`/fhir/${adult1}/$everything?_type=Observation,Practitioner`);
    expect(new Set(ids)).toEqual(new Set([...expected.famA].filter((id) => /^(Observation|Practitioner)\//.test(id))));
  });

  it('start and end filter on clinical dates; types without a date are kept', async () => {
    const { ids } = await everything(`/fhir/${adult1}/$everything?start=2026-01-01&_count=1000`);
    expect(ids.filter((id) => id.startsWith('Observation/'))).toHaveLength(1); // the 2026 reading, not the 2019 one
    expect(ids.filter((id) => id.startsWith('Encounter/'))).toHaveLength(0);
    expect(ids.some((id) => id.startsWith('Coverage/'))).toBe(true);
  });

  it('_since keeps only what changed since', async () => {
    const since = new Date(Date.now() + 1000).toISOString();
    const { ids } = await everything(`/fhir/${adult1}/$everything?_since=${encodeURIComponent(since)}`);
    expect(ids).toEqual([adult1]);
  });

  it('an unknown patient is 404', async () => {
    expect((await t.http.get('/fhir/Patient/nobody/$everything')).status).toBe(404);
  });

  it('is listed in the CapabilityStatement on Patient', async () => {
    const cs = (await t.http.get('/fhir/metadata')).body;
    expect(cs.rest[0].resource.find((r: any) => r.type === 'Patient').operation).toContainEqual({
      name: 'everything',
      definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
    });
  });
});

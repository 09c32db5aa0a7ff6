import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';
import { matchIds, search, searchError, seed } from './helpers';

describe('paging, sorting, totals, _summary, _elements, POST _search and system search', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    const patients = Array.from({ length: 25 }, (_, i) => ({
      resourceType: 'Patient',
      id: `p${String(i).padStart(2, '0')}`,
      name: [{ family: i % 2 ? 'Odd' : 'Even', given: [`G${String(24 - i).padStart(2, '0')}`] }],
      ...(i % 5 ? { birthDate: `19${50 + (i % 7)}-01-01` } : {}),
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
      gender: 'female',
    }));
    await seed(t, patients);
    await seed(t, [{ resourceType: 'Practitioner', id: 'dr', name: [{ family: 'Even' }] }]);
  });
  afterAll(() => t.close());

  it('pages of at most _count follow next links to every match exactly once', async () => {
    const first = await search(t, '/fhir/Patient?_count=4');
    expect(first.entry).toHaveLength(4);
    expect(first.total).toBe(25);
    expect(first.link.find((l: any) => l.relation === 'self').url).toBe('http://localhost:8080/fhir/Patient?_count=4');
    const ids = await matchIds(t, '/fhir/Patient?_count=4');
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });

  it('paging while inserting and updating still yields each match of the first page\'s snapshot exactly once', async () => {
    const seen: string[] = [];
    let next: string | undefined = '/fhir/Patient?gender=female&_count=5';
    let n = 0;
    while (next) {
      const bundle = await search(t, next);
      for (const e of bundle.entry ?? []) if (e.search.mode === 'match') seen.push(e.resource.id);
      // a new match and an update of one already seen, between pages
      await seed(t, [{ resourceType: 'Patient', id: `new${n}`, gender: 'female' }]);
      const current = (await t.http.get(`/fhir/Patient/${seen[0]}`)).body;
      await seed(t, [{ ...current, active: n % 2 === 0 }]);
      n++;
      next = bundle.link.find((l: any) => l.relation === 'next')?.url?.replace('http://localhost:8080', '');
    }
    expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`));
    for (let i = 0; i < n; i++) expect((await t.http.delete(`/fhir/Patient/new${i}`)).status).toBe(204);
  });

  it('_sort on several keys, ascending and descending, is stable across pages', async () => {
    const all = async (q: string) => {
      const out: string[] = [];
      let next: string | undefined = q;
      while (next) {
        const b = await search(t, next);
        out.push(...(b.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id));
        next = b.link.find((l: any) => l.relation === 'next')?.url?.replace('http://localhost:8080', '');
      }
      return out;
    };
    const byGiven = await all('/fhir/Patient?_sort=given&_count=7');
    expect(byGiven).toEqual(Array.from({ length: 25 }, (_, i) => `p${String(24 - i).padStart(2, '0')}`));
    const byFamilyDescGiven = await all('/fhir/Patient?_sort=-family,given&_count=3');
    const odd = Array.from({ length: 12 }, (_, i) => 23 - 2 * i).map((i) => `p${String(i).padStart(2, '0')}`);
    const even = Array.from({ length: 13 }, (_, i) => 24 - 2 * i).map((i) => `p${String(i).padStart(2, '0')}`);
    expect(byFamilyDescGiven).toEqual([...odd, ...even]);
    // missing values sort last in both directions
    const byBirth = await all('/fhir/Patient?_sort=-birthdate&_count=4');
    expect(byBirth.slice(-5).sort()).toEqual(['p00', 'p05', 'p10', 'p15', 'p20']);
    const byId = await all('/fhir/Patient?_sort=-_id&_count=10');
    expect(byId).toEqual([...byId].sort().reverse());
    const byUpdated = await all('/fhir/Patient?_sort=_lastUpdated&_count=10');
    expect(byUpdated).toHaveLength(25);
  });

  it.each(['_count=4', '_count=3&_sort=-birthdate,given', '_count=6&_sort=family'])('previous links walk back over the same pages (%s)', async (q) => {
    const ids = (b: any) => (b.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id);
    const rel = (b: any, r: string) => b.link.find((l: any) => l.relation === r)?.url?.replace('http://localhost:8080', '');
    const forward: string[][] = [];
    let bundle = await search(t, `/fhir/Patient?${q}`);
    expect(rel(bundle, 'previous')).toBeUndefined();
    forward.push(ids(bundle));
    while (rel(bundle, 'next')) {
      bundle = await search(t, rel(bundle, 'next'));
      forward.push(ids(bundle));
    }
    const backward: string[][] = [ids(bundle)];
    while (rel(bundle, 'previous')) {
      bundle = await search(t, rel(bundle, 'previous'));
      backward.unshift(ids(bundle));
    }
    expect(backward).toEqual(forward);
    expect(forward.flat()).toHaveLength(25);
  });

  it('_total none/estimate/accurate and _summary=count', async () => {
    expect((await search(t, '/fhir/Patient?_count=2&_total=none')).total).toBeUndefined();
    expect((await search(t, '/fhir/Patient?_count=2&_total=accurate')).total).toBe(25);
    expect((await search(t, '/fhir/Patient?_count=2&_total=estimate')).total).toBe(25);
    const count = await search(t, '/fhir/Patient?family=odd&_summary=count');
    expect(count.total).toBe(12);
    expect(count.entry).toBeUndefined();
  });

  it('_summary and _elements subset the resources and tag them SUBSETTED', async () => {
    const summary = await search(t, '/fhir/Patient?_id=p01&_summary=true');
    const r = summary.entry[0].resource;
    expect(r.text).toBeUndefined();
    expect(r.name).toBeDefined();
    expect(r.meta.tag).toEqual([expect.objectContaining({ code: 'SUBSETTED' })]);
    const data = (await search(t, '/fhir/Patient?_id=p01&_summary=data')).entry[0].resource;
    expect(data.text).toBeUndefined();
    expect(data.name).toBeDefined();
    const text = (await search(t, '/fhir/Patient?_id=p01&_summary=text')).entry[0].resource;
    expect(Object.keys(text).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    const elements = (await search(t, '/fhir/Patient?_id=p01&_elements=birthDate,gender')).entry[0].resource;
    expect(Object.keys(elements).sort()).toEqual(['birthDate', 'gender', 'id', 'meta', 'resourceType']);
    expect(elements.meta.tag[0].code).toBe('SUBSETTED');
    const full = (await search(t, '/fhir/Patient?_id=p01&_summary=false')).entry[0].resource;
    expect(full.meta.tag).toBeUndefined();
  });

  it('POST _search with a form body equals GET, and its next link is a GET', async () => {
    const res = await t.http.post('/fhir/Patient/_search').type('form').send('family=odd&_count=5');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(12);
    const next = res.body.link.find((l: any) => l.relation === 'next').url;
    expect(next).toContain('family=odd');
    expect(await matchIds(t, next.replace('http://localhost:8080', ''))).toHaveLength(7);
    expect((await t.http.post('/fhir/Patient/_search').set('Content-Type', FHIR_JSON).send('{}')).status).toBe(415);
  });

  it('system search over _type with common parameters; non-common ones are 400', async () => {
    const bundle = await search(t, '/fhir?_type=Patient,Practitioner&_id=dr,p01');
    expect(bundle.entry.map((e: any) => e.fullUrl).sort()).toEqual(['http://localhost:8080/fhir/Patient/p01', 'http://localhost:8080/fhir/Practitioner/dr']);
    expect(await matchIds(t, '/fhir?_type=Practitioner,Patient&family=even')).toHaveLength(14);
    expect((await searchError(t, '/fhir?_type=Patient,Practitioner&birthdate=1950')).status).toBe(400);
    expect((await searchError(t, '/fhir?_type=Nope')).status).toBe(400);
    expect(await matchIds(t, '/fhir?_id=dr')).toEqual(['dr']);
    const post = await t.http.post('/fhir/_search').type('form').send('_type=Practitioner&_id=dr');
    expect(post.body.entry.map((e: any) => e.resource.id)).toEqual(['dr']);
  });

  it.each(['_count=abc', '_count=-1', '_sort=nope', '_total=maybe', '_summary=short', '_elements=a b', '_cursor=garbage!', '_cursor=eyJtIjoxfQ'])(
    '400 for %s',
    async (q) => {
      const res = await searchError(t, `/fhir/Patient?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  );

  it('_count is capped by the configured maximum and an empty parameter is ignored', async () => {
    const b = await search(t, '/fhir/Patient?_count=100000&family=');
    expect(b.entry).toHaveLength(25);
    expect(b.link.find((l: any) => l.relation === 'self').url).toBe(`http://localhost:8080/fhir/Patient?_count=${t.config.maxCount}`);
  });
});

import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';

/** Paging cursors are signed by the store: an edited one is 400, so Bundle.total says what the server counted. */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
  for (let i = 0; i < 5; i++) {
    const res = await t.http.put(`/fhir/Patient/cur-${i}`).set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: `cur-${i}`, identifier: [{ system: 'urn:cursor', value: String(i) }], birthDate: `1900-01-0${i + 1}` });
    expect(res.status).toBe(201);
  }
});
afterAll(() => t.close());

const local = (url: string) => url.replace('http://localhost:8080', '');
const next = (bundle: any): string => local(bundle.link.find((l: any) => l.relation === 'next').url);
const cursorOf = (url: string) => new URL(url, 'http://x').searchParams.get('_cursor') as string;
const withCursor = (url: string, cursor: string) => {
  const u = new URL(url, 'http://x');
  u.searchParams.set('_cursor', cursor);
  return `${u.pathname}${u.search}`;
};
/** The cursor with its JSON changed by `edit`, re-encoded as a client would, the signature kept. */
const tampered = (cursor: string, edit: (c: any) => void) => {
  const [payload, signature] = cursor.split('.');
  const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  edit(c);
  return `${Buffer.from(JSON.stringify(c)).toString('base64url')}.${signature}`;
};
const errorCode = (res: { body: any }) => res.body?.issue?.[0]?.details?.coding?.[0]?.code;

describe('signed search cursors', () => {
  const first = '/fhir/Patient?identifier=urn:cursor|&_count=2';

  it('an untouched next link pages on with the true total', async () => {
    const page1 = (await t.http.get(first)).body;
    expect(page1.total).toBe(5);
    const page2 = await t.http.get(next(page1));
    expect(page2.status).toBe(200);
    expect(page2.body.total).toBe(5);
    expect(page2.body.entry).toHaveLength(2);
  });

  it('a next link whose total was edited is 400, and so is any other edit or a made-up signature', async () => {
    const link = next((await t.http.get(first)).body);
    const cursor = cursorOf(link);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    for (const forged of [
      tampered(cursor, (c) => (c.t = 1_000_000)),
      tampered(cursor, (c) => delete c.t),
      tampered(cursor, (c) => (c.r = 0)),
      tampered(cursor, (c) => (c.m = c.m + 100)),
      cursor.split('.')[0],
      `${cursor.split('.')[0]}.${Buffer.alloc(32).toString('base64url')}`,
      Buffer.from(JSON.stringify({ m: 100, k: [], r: 0, t: 7 })).toString('base64url'),
    ]) {
      const res = await t.http.get(withCursor(link, forged));
      expect([res.status, res.body.resourceType, errorCode(res)]).toEqual([400, 'OperationOutcome', 'FHIR-0400-CURSOR']);
    }
  });

  it("a cursor is bound to its search: another search's cursor is 400", async () => {
    const cursor = cursorOf(next((await t.http.get(first)).body));
    const other = await t.http.get(withCursor('/fhir/Patient?identifier=urn:cursor|0&_count=2', cursor));
    expect(other.status).toBe(400);
    const sorted = await t.http.get(withCursor('/fhir/Patient?identifier=urn:cursor|&_count=2&_sort=_id', cursor));
    expect(sorted.status).toBe(400);
    // the page size is not part of the search: a cursor may be followed with another _count
    expect((await t.http.get(withCursor('/fhir/Patient?identifier=urn:cursor|&_count=3', cursor))).body.entry).toHaveLength(3);
  });

  it('pages a search whose ranges move with the clock (ap) to the end', async () => {
    let bundle = (await t.http.get('/fhir/Patient?birthdate=ap1900-01-03&identifier=urn:cursor|&_count=2')).body;
    const ids = bundle.entry.map((e: any) => e.resource.id);
    while (bundle.link.some((l: any) => l.relation === 'next')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const res = await t.http.get(next(bundle));
      expect(res.status).toBe(200);
      bundle = res.body;
      ids.push(...bundle.entry.map((e: any) => e.resource.id));
    }
    expect(ids.sort()).toEqual(['cur-0', 'cur-1', 'cur-2', 'cur-3', 'cur-4']);
  });

  it('history cursors are store versions: a crafted one shows nothing the first page would not', async () => {
    const all = (await t.http.get('/fhir/Patient/_history?_count=100')).body;
    const ids = new Set(all.entry.map((e: any) => `${e.resource?.id}/${e.response.etag}`));
    for (const cursor of ['999999999999999', '0', '1']) {
      const res = await t.http.get(`/fhir/Patient/_history?_count=100&_cursor=${cursor}`);
      expect(res.status).toBe(200);
      for (const e of res.body.entry ?? []) expect(ids.has(`${e.resource?.id}/${e.response.etag}`)).toBe(true);
    }
    for (const cursor of ['-1', '1e3', '9999999999999999', 'abc']) {
      expect((await t.http.get(`/fhir/Patient/_history?_cursor=${cursor}`)).status).toBe(400);
    }
  });
});

import {
  countByIdentifier,
  expectForbidden,
  expectNoLeak,
  expectNotFound,
  kind,
  observation,
  seedObservation,
  startAccessServer,
  stored,
  type Access,
  type Api,
  type Call,
  type Kind,
  type Person,
} from './fixtures';

/**
 * create, update (and update-as-create), patch, delete and their conditional forms. A confined token
 * (patient/ scopes, or user/ scopes of a user who is not an administrator) writes only about the
 * patients it may see, in the old version and the new; another person's record, deleted or not, is
 * answered as if it did not exist. Every refused write is checked with the administrator: nothing
 * was stored, nothing changed.
 */
let a: Access;
beforeAll(async () => {
  a = await startAccessServer();
});
afterAll(() => a.close());

type Seeded = Awaited<ReturnType<typeof seedObservation>>;
let tags = 0;
const tag = () => `w-${++tags}`;
/** An Observation about p for a create, found again by its identifier urn:record|tag. */
function about(p: Person, t: string, extra: Record<string, unknown> = {}) {
  const { id: _id, ...resource } = observation(t, p, 'vital-signs', '8867-4');
  return { ...resource, ...extra };
}
/** A record of another type about p, found again by its identifier urn:record|tag. */
function recordAbout(type: string, p: Person, t: string) {
  const common = { resourceType: type, identifier: [{ system: 'urn:record', value: t }] };
  const subject = { reference: `Patient/pat-${p}` };
  if (type === 'Encounter') return { ...common, status: 'finished', class: { code: 'AMB' }, subject };
  if (type === 'Condition') return { ...common, code: { text: 'asthma' }, subject };
  return { ...common, status: 'active', beneficiary: subject, payor: [{ reference: 'Organization/org-1' }] };
}
const OTHER_TYPES = ['Encounter', 'Condition', 'Coverage'];
/** A new content for a stored record: about p, status amended. */
const revised = (r: Seeded, p: Person, extra: Record<string, unknown> = {}) => ({ ...observation(r.id, p, 'vital-signs', '8867-4'), status: 'amended', ...extra });
const amend = [{ op: 'replace', path: '/status', value: 'amended' }];

async function seedDeleted(p: Person): Promise<Seeded> {
  const r = await seedObservation(a, p);
  expect((await a.admin.delete(r.ref)).status).toBe(204);
  return r;
}
const unchanged = (r: Seeded, p: Person) => ({ status: 200, versionId: '1', subject: `Patient/pat-${p}`, history: [`${r.ref}/1`] });
const stillDeleted = (r: Seeded) => ({ status: 410, versionId: undefined, subject: undefined, history: [`${r.ref}/2`, `${r.ref}/1`] });

/** Writes on a record the caller may not see: each must answer 404 and change nothing. */
const ON_ANOTHERS: [string, (c: Api, r: Seeded, own: Person) => Call][] = [
  ['PUT', (c, r, own) => c.put(r.ref, revised(r, own))],
  ['PUT with If-Match', (c, r, own) => c.put(r.ref, revised(r, own)).set('If-Match', 'W/"1"')],
  ['PATCH', (c, r) => c.patch(r.ref, amend)],
  ['PATCH with If-Match', (c, r) => c.patch(r.ref, amend).set('If-Match', 'W/"1"')],
  ['DELETE', (c, r) => c.delete(r.ref)],
  ['DELETE with If-Match', (c, r) => c.delete(r.ref).set('If-Match', 'W/"1"')],
];
/** Writes that would put a record into another patient's compartment: 403, nothing stored. */
const ABOUT_ANOTHER: [string, (c: Api, t: string, own: Person, other: Person) => Call][] = [
  ['create with subject the other patient', (c, t, _own, other) => c.post('Observation', about(other, t))],
  ['create with subject the other patient and performer its own patient', (c, t, own, other) => c.post('Observation', about(other, t, { performer: [{ reference: `Patient/pat-${own}` }] }))],
  ['create about its own patient naming the other as performer', (c, t, own, other) => c.post('Observation', about(own, t, { performer: [{ reference: `Patient/pat-${other}` }] }))],
  ['update-as-create with a client id, subject the other patient', (c, t, _own, other) => c.put(`Observation/${t}`, { ...observation(t, other, 'vital-signs', '8867-4') })],
];
/** Changes to its own record that would move it to another patient: 403, the record unchanged. */
const MOVES: [string, (c: Api, r: Seeded, own: Person, other: Person) => Call][] = [
  ['PUT changing the subject to the other patient', (c, r, _own, other) => c.put(r.ref, revised(r, other))],
  ['PUT adding the other patient as performer', (c, r, own, other) => c.put(r.ref, revised(r, own, { performer: [{ reference: `Patient/pat-${other}` }] }))],
  ['PATCH changing the subject to the other patient', (c, r, _own, other) => c.patch(r.ref, [{ op: 'replace', path: '/subject/reference', value: `Patient/pat-${other}` }])],
  ['PATCH adding the other patient as performer', (c, r, _own, other) => c.patch(r.ref, [{ op: 'add', path: '/performer', value: [{ reference: `Patient/pat-${other}` }] }])],
];

const CONFINED = (
  [
    ['patient (', 'A', 'B'],
    ['user who is Patient', 'A', 'B'],
    ['user who is RelatedPerson', 'A', 'B'],
    ['Practitioner P1', 'A', 'B'],
    ['Practitioner P2', 'B', 'A'],
  ] as [string, Person, Person][]
).map(([prefix, own, other]) => ({ k: kind(prefix), name: kind(prefix).name, own, other }));

describe.each(CONFINED)('$name writes about patient $own only', ({ k, own, other }) => {
  const as = () => a.as(k);

  it('create about its own patient: 201, stored as version 1', async () => {
    const t = tag();
    const res = await as().post('Observation', about(own, t));
    expect({ status: res.status, versionId: res.body.meta?.versionId, subject: res.body.subject?.reference }).toEqual({ status: 201, versionId: '1', subject: `Patient/pat-${own}` });
    expect(await stored(a, `Observation/${res.body.id}`)).toMatchObject({ status: 200, versionId: '1', subject: `Patient/pat-${own}` });
  });

  it('update-as-create with a client id about its own patient: 201', async () => {
    const t = tag();
    const res = await as().put(`Observation/${t}`, observation(t, own, 'vital-signs', '8867-4'));
    expect({ status: res.status, id: res.body.id, versionId: res.body.meta?.versionId }).toEqual({ status: 201, id: t, versionId: '1' });
    expect(await stored(a, `Observation/${t}`)).toMatchObject({ status: 200, versionId: '1', subject: `Patient/pat-${own}` });
  });

  it.each([
    ['PUT', (c: Api, r: Seeded) => c.put(r.ref, revised(r, own))],
    ['PUT with If-Match', (c: Api, r: Seeded) => c.put(r.ref, revised(r, own)).set('If-Match', 'W/"1"')],
    ['PATCH', (c: Api, r: Seeded) => c.patch(r.ref, amend)],
  ])('%s of its own record: 200, version 2', async (_label, write) => {
    const r = await seedObservation(a, own);
    const res = await write(as(), r);
    expect({ status: res.status, versionId: res.body.meta?.versionId, state: res.body.status }).toEqual({ status: 200, versionId: '2', state: 'amended' });
    expect(await stored(a, r.ref)).toEqual({ status: 200, versionId: '2', subject: `Patient/pat-${own}`, history: [`${r.ref}/2`, `${r.ref}/1`] });
  });

  it('DELETE of its own record: 204, then 410 for everyone', async () => {
    const r = await seedObservation(a, own);
    expect((await as().delete(r.ref)).status).toBe(204);
    expect((await as().get(r.ref)).status).toBe(410);
    expect(await stored(a, r.ref)).toEqual(stillDeleted(r));
  });

  it.each(OTHER_TYPES)('create %s about its own patient: 201', async (type) => {
    const t = tag();
    const res = await as().post(type, recordAbout(type, own, t));
    expect({ status: res.status, type: res.body.resourceType }).toEqual({ status: 201, type });
    expect(await countByIdentifier(a, t, type)).toBe(1);
  });

  it.each(OTHER_TYPES)('create %s about the other patient: 403, nothing stored', async (type) => {
    const t = tag();
    expectForbidden(await as().post(type, recordAbout(type, other, t)));
    expect(await countByIdentifier(a, t, type)).toBe(0);
  });

  it.each([
    ['PUT', (c: Api, r: Seeded) => c.put(r.ref, revised(r, own))],
    ['PATCH', (c: Api, r: Seeded) => c.patch(r.ref, amend)],
    ['DELETE', (c: Api, r: Seeded) => c.delete(r.ref)],
  ])('%s of its own record that also names the other patient (performer): 403, unchanged', async (_label, write) => {
    const r = await seedObservation(a, own, { performer: [{ reference: `Patient/pat-${other}` }] });
    expectForbidden(await write(as(), r));
    expect(await stored(a, r.ref)).toEqual(unchanged(r, own));
  });

  it.each(ABOUT_ANOTHER)('%s: 403, nothing stored', async (_label, write) => {
    const t = tag();
    expectForbidden(await write(as(), t, own, other));
    expect(await countByIdentifier(a, t)).toBe(0);
    expect((await a.admin.get(`Observation/${t}`)).status).toBe(404);
  });

  it.each(MOVES)('%s, on its own record: 403, unchanged', async (_label, write) => {
    const r = await seedObservation(a, own);
    expectForbidden(await write(as(), r, own, other));
    expect(await stored(a, r.ref)).toEqual(unchanged(r, own));
  });

  it.each(ON_ANOTHERS)('%s of the other patient’s record: 404, unchanged', async (_label, write) => {
    const r = await seedObservation(a, other);
    const res = await write(as(), r, own);
    expectNotFound(res);
    expect(JSON.stringify(res.body)).not.toContain(r.secret);
    expect(await stored(a, r.ref)).toEqual(unchanged(r, other));
  });

  it.each(ON_ANOTHERS)('%s of the other patient’s deleted record: 404 (not 204, 410 or 412), no new version', async (_label, write) => {
    const r = await seedDeleted(other);
    expectNotFound(await write(as(), r, own));
    expect(await stored(a, r.ref)).toEqual(stillDeleted(r));
  });

  it('conditional create whose If-None-Exist matches only the other’s record: creates its own, never returns the other’s', async () => {
    const r = await seedObservation(a, other);
    const t = tag();
    const res = await as().post('Observation', about(own, t)).set('If-None-Exist', `identifier=urn:record|${r.id}`);
    expect({ status: res.status, subject: res.body.subject?.reference }).toEqual({ status: 201, subject: `Patient/pat-${own}` });
    expect(res.body.id).not.toBe(r.id);
    expect(JSON.stringify(res.body)).not.toContain(r.secret);
    expect(await countByIdentifier(a, t)).toBe(1);
    expect(await stored(a, r.ref)).toEqual(unchanged(r, other));
  });

  it('conditional update whose criteria match only the other’s record: creates its own, the other’s unchanged', async () => {
    const r = await seedObservation(a, other);
    const t = tag();
    const res = await as().put(`Observation?identifier=urn:record|${r.id}`, about(own, t));
    expect({ status: res.status, subject: res.body.subject?.reference }).toEqual({ status: 201, subject: `Patient/pat-${own}` });
    expect(res.body.id).not.toBe(r.id);
    expect(JSON.stringify(res.body)).not.toContain(r.secret);
    expect(await stored(a, r.ref)).toEqual(unchanged(r, other));
  });

  it('conditional delete whose criteria match only the other’s record: deletes nothing', async () => {
    const r = await seedObservation(a, other);
    const res = await as().delete(`Observation?identifier=urn:record|${r.id}`);
    expect(res.status).toBe(204);
    expect(res.headers.etag).toBeUndefined();
    expect(await stored(a, r.ref)).toEqual(unchanged(r, other));
  });

  it('conditional patch whose criteria match only the other’s record: 404, unchanged', async () => {
    const r = await seedObservation(a, other);
    const res = await as().patch(`Observation?identifier=urn:record|${r.id}`, amend);
    expect({ status: res.status, code: res.body.issue?.[0]?.code }).toEqual({ status: 404, code: 'not-found' });
    expectNoLeak(k, res);
    expect(await stored(a, r.ref)).toEqual(unchanged(r, other));
  });
});

describe('Practitioner P3, related to no one, writes nothing about any patient', () => {
  const as = () => a.as(kind('Practitioner P3'));

  it.each(['A', 'B'] as Person[])('create about patient %s: 403, nothing stored', async (p) => {
    const t = tag();
    expectForbidden(await as().post('Observation', about(p, t)));
    expect(await countByIdentifier(a, t)).toBe(0);
  });

  it.each(ON_ANOTHERS)('%s of patient A’s record: 404, unchanged', async (_label, write) => {
    const r = await seedObservation(a, 'A');
    expectNotFound(await write(as(), r, 'A'));
    expect(await stored(a, r.ref)).toEqual(unchanged(r, 'A'));
  });
});

describe.each([kind('administrator'), kind('system read-write')])('$name writes about anyone', (k) => {
  const as = () => a.as(k);

  it('creates about patient B: 201', async () => {
    const t = tag();
    const res = await as().post('Observation', about('B', t));
    expect({ status: res.status, subject: res.body.subject?.reference }).toEqual({ status: 201, subject: 'Patient/pat-B' });
    expect(await countByIdentifier(a, t)).toBe(1);
  });

  it('moves a record of A to B: 200, version 2', async () => {
    const r = await seedObservation(a, 'A');
    expect((await as().put(r.ref, revised(r, 'B'))).status).toBe(200);
    expect(await stored(a, r.ref)).toEqual({ status: 200, versionId: '2', subject: 'Patient/pat-B', history: [`${r.ref}/2`, `${r.ref}/1`] });
  });

  it('updates a deleted record of B: 201, version 3', async () => {
    const r = await seedDeleted('B');
    expect((await as().put(r.ref, revised(r, 'B'))).status).toBe(201);
    expect(await stored(a, r.ref)).toMatchObject({ status: 200, versionId: '3', history: [`${r.ref}/3`, `${r.ref}/2`, `${r.ref}/1`] });
  });

  it('deletes a record of B: 204', async () => {
    const r = await seedObservation(a, 'B');
    expect((await as().delete(r.ref)).status).toBe(204);
    expect(await stored(a, r.ref)).toEqual(stillDeleted(r));
  });

  it('conditional create matching B’s record: 200 with it, nothing created', async () => {
    const r = await seedObservation(a, 'B');
    const res = await as().post('Observation', about('B', r.id)).set('If-None-Exist', `identifier=urn:record|${r.id}`);
    expect({ status: res.status, id: res.body.id }).toEqual({ status: 200, id: r.id });
    expect(await countByIdentifier(a, r.id)).toBe(1);
  });
});

/** Every kind of write, for tokens whose scopes allow none. */
const EVERY_WRITE: [string, (c: Api, r: Seeded, t: string) => Call][] = [
  ['create', (c, _r, t) => c.post('Observation', about('A', t))],
  ['conditional create', (c, _r, t) => c.post('Observation', about('A', t)).set('If-None-Exist', `identifier=urn:record|${t}`)],
  ['update', (c, r) => c.put(r.ref, revised(r, 'A'))],
  ['update-as-create', (c, _r, t) => c.put(`Observation/${t}`, observation(t, 'A', 'vital-signs', '8867-4'))],
  ['conditional update', (c, r) => c.put(`Observation?identifier=urn:record|${r.id}`, revised(r, 'A'))],
  ['patch', (c, r) => c.patch(r.ref, amend)],
  ['conditional patch', (c, r) => c.patch(`Observation?identifier=urn:record|${r.id}`, amend)],
  ['delete', (c, r) => c.delete(r.ref)],
  ['conditional delete', (c, r) => c.delete(`Observation?identifier=urn:record|${r.id}`)],
];

describe.each([kind('system read-only'), kind('granular'), kind('v1')])('$name writes nothing', (k: Kind) => {
  it.each(EVERY_WRITE)('%s of patient A’s Observation: 403 insufficient_scope, nothing written', async (_label, write) => {
    const r = await seedObservation(a, 'A');
    const t = tag();
    const res = await write(a.as(k), r, t);
    expectForbidden(res);
    expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
    expect(await stored(a, r.ref)).toEqual(unchanged(r, 'A'));
    expect(await countByIdentifier(a, t)).toBe(0);
  });
});

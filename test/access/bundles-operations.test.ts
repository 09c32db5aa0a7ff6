import { addSecretClient, systemToken } from '../smart/helpers';
import {
  countByIdentifier,
  covers,
  entries,
  CURRENT,
  expectForbidden,
  expectNoLeak,
  expectNotFound,
  kind,
  KINDS,
  names,
  observation,
  seedObservation,
  startAccessServer,
  stored,
  typeOf,
  VERSIONS,
  visible,
  api,
  type Access,
  type Api,
  type Kind,
  type Person,
} from './fixtures';

/**
 * Batch and transaction entries pass the same rules as the requests they stand for; a transaction
 * with one write the token may not make writes nothing. Operations ($everything, $insured-profile,
 * $validate) answer another person's record as if it did not exist, and $reindex needs its own
 * privilege (the scope system/$reindex), which no other scope implies.
 */
let a: Access;
beforeAll(async () => {
  a = await startAccessServer();
});
afterAll(() => a.close());

const version = (ref: string, versionId?: string) => (versionId ? VERSIONS.find((v) => v.ref === ref && v.versionId === versionId) : CURRENT.find((v) => v.ref === ref))!;

describe.each(KINDS)('$name', (k) => {
  it('a batch of reads: each entry answered as the read itself, another person’s as 404 without data', async () => {
    const reads: [string, string?][] = [
      ['Patient/pat-A'],
      ['Observation/obs-A-vital'],
      ['Observation/obs-A-lab'],
      ['Patient/pat-B'],
      ['Observation/obs-B-vital'],
      ['Observation/obs-B-deleted'],
      ['Observation/obs-moved', '1'],
      ['Observation/obs-moved', '2'],
      ['Encounter/enc-B'],
    ];
    const res = await a.as(k).post('/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        ...reads.map(([ref, v]) => ({ request: { method: 'GET', url: v ? `${ref}/_history/${v}` : ref } })),
        { request: { method: 'GET', url: 'Observation?patient=pat-B' } },
      ],
    });
    expect(res.status).toBe(200);
    const expected = reads.map(([ref, v]) => {
      const at = version(ref, v);
      if (!names(k, typeOf(ref))) return '403';
      if (!covers(k, at)) return '404';
      return at.deleted ? '410' : '200';
    });
    const statuses = res.body.entry.map((e: any) => e.response.status.slice(0, 3));
    expect(statuses).toEqual([...expected, '200']);
    reads.forEach(([ref, v], i) => {
      const e = res.body.entry[i];
      if (expected[i] === '200') expect(`${e.resource.resourceType}/${e.resource.id}/${e.resource.meta.versionId}`).toBe(`${ref}/${version(ref, v).versionId}`);
      // a failed entry carries its OperationOutcome in response.outcome (Bundle.entry.response.outcome) and no resource
      if (expected[i] === '404') expect({ etag: e.response.etag, resource: e.resource, outcome: e.response.outcome?.issue?.[0]?.code }).toEqual({ etag: undefined, resource: undefined, outcome: 'not-found' });
    });
    const search = res.body.entry[reads.length].resource;
    expect({ total: search.total, ids: (search.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort() }).toEqual({
      total: visible(k, 'Observation', 'B').length,
      ids: visible(k, 'Observation', 'B'),
    });
    expectNoLeak(k, res);
  });

  it.each([
    ['Patient/pat-A/$everything', 'A'],
    ['Patient/pat-B/$everything', 'B'],
  ] as [string, Person][])('%s: only that patient’s compartment and what it refers to, or 404', async (url, p) => {
    const res = await a.as(k).get(`${url}?_count=1000`);
    if (!names(k, 'Patient')) return expectForbidden(res);
    if (!covers(k, version(`Patient/pat-${p}`))) {
      expectNotFound(res);
      return expectNoLeak(k, res);
    }
    expect(res.status).toBe(200);
    const found: string[] = (res.body.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);
    const owned = new Set(VERSIONS.filter((v) => v.owner).map((v) => v.ref));
    const compartment = [...new Set(CURRENT.filter((v) => v.owner === p && !v.deleted && covers(k, v)).map((v) => v.ref))].sort();
    expect(found.filter((r) => owned.has(r)).sort()).toEqual(compartment);
    // outside the compartment: only what its records refer to
    const referenced = ['Organization/org-1', p === 'A' ? 'Practitioner/prac-P1' : 'Practitioner/prac-P2'];
    const fixtureRefs = new Set(VERSIONS.map((v) => v.ref));
    expect(found.filter((r) => fixtureRefs.has(r) && !owned.has(r)).filter((r) => !referenced.includes(r))).toEqual([]);
    expectNoLeak(k, res);
  });

  it('Patient/pat-B/$insured-profile: 404 unless the token covers patient B', async () => {
    const res = await a.as(k).get('Patient/pat-B/$insured-profile');
    if (covers(k, version('Patient/pat-B'))) {
      expect({ status: res.status, type: res.body.type, subject: res.body.entry?.[0]?.resource?.subject?.reference }).toEqual({ status: 200, type: 'document', subject: 'Patient/pat-B' });
    } else expectNotFound(res);
    expectNoLeak(k, res);
  });

  it.each(['Observation/obs-A-vital', 'Observation/obs-B-vital', 'Observation/obs-B-deleted'])('$validate of the stored %s: 404 unless the token covers it (and it is not deleted)', async (ref) => {
    const res = await a.as(k).get(`${ref}/$validate`);
    const v = version(ref);
    if (covers(k, v) && !v.deleted) expect({ status: res.status, type: res.body.resourceType }).toEqual({ status: 200, type: 'OperationOutcome' });
    else expectNotFound(res);
    expectNoLeak(k, res);
  });

  it.each(['/fhir/$reindex', '/fhir/Patient/$reindex'])('POST %s: 403 forbidden without the system/$reindex privilege', async (url) => {
    const res = await a.as(k).post(url, { resourceType: 'Parameters' });
    expectForbidden(res);
    expect(JSON.stringify(res.body)).not.toMatch(/"resources"|"updated"/);
  });
});

/** The patient a writer writes about, and one it may not (none: it may write about anyone). */
const WRITERS: [Kind, Person, Person | undefined][] = [
  [kind('patient ('), 'A', 'B'],
  [kind('user who is Patient'), 'A', 'B'],
  [kind('user who is RelatedPerson'), 'A', 'B'],
  [kind('Practitioner P1'), 'A', 'B'],
  [kind('Practitioner P2'), 'B', 'A'],
  [kind('administrator'), 'A', undefined],
  [kind('system read-write'), 'A', undefined],
];
let tags = 0;
const tag = () => `tx-${++tags}`;
const post = (p: Person, t: string) => {
  const { id: _id, ...resource } = observation(t, p, 'vital-signs', '8867-4');
  return { resource, request: { method: 'POST', url: 'Observation' } };
};
const transaction = (c: Api, entry: unknown[]) => c.post('/fhir', { resourceType: 'Bundle', type: 'transaction', entry });

describe.each(WRITERS.map(([k, own, other]) => ({ name: k.name, k, own, other })))('$name: transactions', ({ k, own, other }) => {
  it('a transaction of its own patient’s writes: 200, all stored', async () => {
    const [t1, t2] = [tag(), tag()];
    const res = await transaction(a.as(k), [post(own, t1), post(own, t2)]);
    expect({ status: res.status, entries: res.body.entry?.map((e: any) => e.response.status.slice(0, 3)) }).toEqual({ status: 200, entries: ['201', '201'] });
    expect([await countByIdentifier(a, t1), await countByIdentifier(a, t2)]).toEqual([1, 1]);
  });

  if (!other) return;
  it.each([
    ['a create about the other patient', 'create'],
    ['an update of the other patient’s record', 'update'],
    ['a delete of the other patient’s record', 'delete'],
  ])('a transaction with %s fails whole and writes nothing', async (_label, what) => {
    const target = await seedObservation(a, other);
    const t1 = tag();
    const t2 = tag();
    const bad =
      what === 'create'
        ? post(other, t2)
        : what === 'update'
          ? { resource: { ...observation(target.id, other, 'vital-signs', '8867-4'), status: 'amended' }, request: { method: 'PUT', url: target.ref } }
          : { request: { method: 'DELETE', url: target.ref } };
    const res = await transaction(a.as(k), [post(own, t1), bad]);
    expect({ status: res.status, type: res.body.resourceType }).toEqual({ status: what === 'create' ? 403 : 404, type: 'OperationOutcome' });
    expect(JSON.stringify(res.body)).not.toContain(target.secret);
    expect([await countByIdentifier(a, t1), await countByIdentifier(a, t2)]).toEqual([0, 0]);
    expect(await stored(a, target.ref)).toEqual({ status: 200, versionId: '1', subject: `Patient/pat-${other}`, history: [`${target.ref}/1`] });
  });
});

describe.each([kind('system read-only'), kind('granular'), kind('v1')])('$name: transactions', (k) => {
  it('a transaction with a write: 403, nothing written', async () => {
    const t = tag();
    expectForbidden(await transaction(a.as(k), [post('A', t)]));
    expect(await countByIdentifier(a, t)).toBe(0);
  });
});

describe('$reindex with the system/$reindex privilege', () => {
  let privileged: Api;
  beforeAll(async () => {
    const scope = 'system/*.cruds system/$reindex';
    privileged = api(a.t, await systemToken(a.t, 'reindexer', await addSecretClient(a.t.auth, 'reindexer', scope), scope));
  });

  it.each([
    ['/fhir/$reindex', CURRENT.filter((v) => !v.deleted).length],
    ['/fhir/Patient/$reindex', 3],
  ])('POST %s reindexes and says how many resources it read', async (url, atLeast) => {
    const res = await privileged.post(url, { resourceType: 'Parameters' });
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    if (res.status === 200) {
      const resources = res.body.parameter.find((p: any) => p.name === 'resources').valueInteger;
      expect(resources).toBeGreaterThanOrEqual(atLeast);
    }
    // the index still answers as before
    expect(entries((await privileged.get('Observation?patient=pat-B&_id=obs-B-vital,obs-B-lab,obs-A-vital')).body)).toEqual(['Observation/obs-B-lab', 'Observation/obs-B-vital']);
  });
});

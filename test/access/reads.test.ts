import {
  covers,
  CURRENT,
  expectForbidden,
  expectNoLeak,
  expectNotFound,
  historyVersions,
  kind,
  KINDS,
  marker,
  names,
  startAccessServer,
  typeOf,
  VERSIONS,
  type Access,
  type Kind,
  type Version,
} from './fixtures';

/**
 * read, vread and history at instance, type and system level, for every kind of token over every
 * patient's record: a record the token does not cover reads as if it did not exist (404, never 410),
 * and history filters each version on its own content.
 */
let a: Access;
beforeAll(async () => {
  a = await startAccessServer();
});
afterAll(() => a.close());

const PATIENT_RECORDS = CURRENT.filter((v) => v.owner).map((v) => v.ref);
const version = (ref: string, versionId: string) => VERSIONS.find((v) => v.ref === ref && v.versionId === versionId) as Version;
const current = (ref: string) => CURRENT.find((v) => v.ref === ref) as Version;
/** The versions of these records the token may see, newest first (as history lists them). */
const visibleVersions = (k: Kind, which: (v: Version) => boolean) =>
  VERSIONS.filter((v) => which(v) && covers(k, v))
    .reverse()
    .map((v) => `${v.ref}/${v.versionId}`);

/** 200 with the content of exactly this version. */
async function expectVersion(res: any, v: Version): Promise<void> {
  expect({ status: res.status, ref: `${res.body.resourceType}/${res.body.id}`, versionId: res.body.meta?.versionId }).toEqual({ status: 200, ref: v.ref, versionId: v.versionId });
  expect(res.headers.etag).toBe(`W/"${v.versionId}"`);
  expect(JSON.stringify(res.body)).toContain(marker(v.ref, v.versionId));
}

function expectGone(res: any): void {
  expect({ status: res.status, code: res.body.issue?.[0]?.code }).toEqual({ status: 410, code: 'deleted' });
}

describe.each(KINDS)('$name', (k) => {
  it.each(PATIENT_RECORDS)('read %s', async (ref) => {
    const res = await a.as(k).get(ref);
    const v = current(ref);
    if (!names(k, typeOf(ref))) expectForbidden(res);
    else if (!covers(k, v)) expectNotFound(res);
    else if (v.deleted) expectGone(res);
    else await expectVersion(res, v);
    expectNoLeak(k, res);
  });

  it.each([
    ['Observation/obs-moved', '1'],
    ['Observation/obs-moved', '2'],
    ['Observation/obs-A-deleted', '1'],
    ['Observation/obs-A-deleted', '2'],
    ['Observation/obs-B-deleted', '1'],
    ['Observation/obs-B-deleted', '2'],
    ['Observation/obs-A-lab', '1'],
    ['Observation/obs-B-vital', '1'],
    ['Patient/pat-B', '1'],
    ['Encounter/enc-B', '1'],
  ])('vread %s/_history/%s', async (ref, versionId) => {
    const res = await a.as(k).get(`${ref}/_history/${versionId}`);
    const v = version(ref, versionId);
    if (!names(k, typeOf(ref))) expectForbidden(res);
    else if (!covers(k, v)) expectNotFound(res);
    else if (v.deleted) expectGone(res);
    else await expectVersion(res, v);
    expectNoLeak(k, res);
  });

  it.each(['Observation/obs-moved', 'Observation/obs-A-deleted', 'Observation/obs-B-deleted', 'Observation/obs-A-vital', 'Observation/obs-A-lab', 'Observation/obs-B-vital', 'Patient/pat-B', 'Encounter/enc-B'])(
    'instance history of %s lists only the versions it may see',
    async (ref) => {
      const res = await a.as(k).get(`${ref}/_history`);
      const expected = visibleVersions(k, (v) => v.ref === ref);
      if (!names(k, typeOf(ref))) expectForbidden(res);
      else if (!expected.length) expectNotFound(res);
      else {
        expect({ status: res.status, versions: historyVersions(res.body) }).toEqual({ status: 200, versions: expected });
        if (res.body.total !== undefined) expect(res.body.total).toBe(expected.length);
      }
      expectNoLeak(k, res);
    }
  );

  it.each(['Observation', 'Encounter', 'Patient'])('type history of %s lists only the versions it may see', async (type) => {
    const res = await a.as(k).get(`${type}/_history?_count=1000`);
    if (!names(k, type)) return expectForbidden(res);
    expect({ status: res.status, versions: historyVersions(res.body) }).toEqual({ status: 200, versions: visibleVersions(k, (v) => typeOf(v.ref) === type) });
    expectNoLeak(k, res);
  });

  it('system history lists only the versions it may see', async () => {
    const res = await a.as(k).get('_history?_count=1000');
    expect(res.status).toBe(200);
    // the server's own conformance resources are not compared; records of no patient (Practitioner,
    // Organization) only for tokens that see everything
    const compared = new Set(VERSIONS.filter((v) => k.everything || v.owner).map((v) => v.ref));
    const listed = historyVersions(res.body).filter((v) => compared.has(v.replace(/\/\d+$/, '')));
    expect(listed).toEqual(visibleVersions(k, (v) => k.everything || !!v.owner));
    expectNoLeak(k, res);
  });
});

describe('a user reads the resource it is signed in as (fhirUser)', () => {
  it.each([
    ['user who is Patient A', 'Patient/pat-A'],
    ['user who is RelatedPerson', 'RelatedPerson/rp-R'],
    ['Practitioner P1', 'Practitioner/prac-P1'],
    ['Practitioner P2', 'Practitioner/prac-P2'],
    ['Practitioner P3', 'Practitioner/prac-P3'],
    ['administrator', 'Practitioner/prac-admin'],
  ])('%s reads %s', async (who, ref) => {
    const res = await a.as(kind(who)).get(ref);
    expect({ status: res.status, ref: `${res.body.resourceType}/${res.body.id}`, versionId: res.body.meta?.versionId }).toEqual({ status: 200, ref, versionId: '1' });
  });
});

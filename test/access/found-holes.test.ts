import { addPublicClient, addUser, launch } from '../smart/helpers';
import {
  api,
  countByIdentifier,
  ehrLaunchToken,
  entries,
  expectForbidden,
  expectNotFound,
  historyVersions,
  kind,
  marker,
  observation,
  seedObservation,
  startAccessServer,
  stored,
  type Access,
  type Api,
} from './fixtures';

/**
 * One test per hole found in the access control, each named after its row in the list of found
 * holes, so the list and the suite can be read side by side.
 */
let a: Access;
let patientA: Api;
beforeAll(async () => {
  // few sign-ins here: two tests below sign in again (10 a minute are allowed)
  a = await startAccessServer([kind('patient ('), kind('system read-only')]);
  patientA = a.as(kind('patient ('));
});
afterAll(() => a.close());

const ownA = (id: string) => observation(id, 'A', 'vital-signs', '8867-4');

describe('found holes', () => {
  it('mixed scopes', async () => {
    // the hole: patient/*.rs for launch patient A with user/*.rs of a user who is a third patient C read every
    // patient's data. A Patient user is now entitled to no launch but their own...
    await addUser(a.t.auth, 'cleo', 'Patient/pat-C');
    await expect(ehrLaunchToken(a, 'mixed-app', 'openid fhirUser patient/*.rs user/*.rs', 'cleo', 'pat-A')).rejects.toThrow('consent: access_denied');
    // ...and where both scopes do apply (a Person linked to A and C), they reach A's and C's records, never B's
    const person = await a.admin.put('Person/per-AC', { resourceType: 'Person', id: 'per-AC', link: [{ target: { reference: 'Patient/pat-A' } }, { target: { reference: 'Patient/pat-C' } }] });
    expect(person.status).toBe(201);
    await addUser(a.t.auth, 'petra', 'Person/per-AC');
    const mixed = api(a.t, await ehrLaunchToken(a, 'mixed-app-2', 'openid fhirUser patient/*.rs user/*.rs', 'petra', 'pat-A'));
    const observations = await mixed.get('Observation?_count=100');
    expect({ status: observations.status, match: entries(observations.body), total: observations.body.total }).toEqual({
      status: 200,
      match: ['Observation/obs-A-lab', 'Observation/obs-A-vital', 'Observation/obs-C-vital'],
      total: 3,
    });
    expect(entries((await mixed.get('Patient')).body)).toEqual(['Patient/pat-A', 'Patient/pat-C']);
    expect((await mixed.get('Observation?patient=pat-B&_summary=count')).body.total).toBe(0);
    expectNotFound(await mixed.get('Observation/obs-B-vital'));
    expectNotFound(await mixed.get('Patient/pat-B'));
    expect(JSON.stringify(observations.body)).not.toContain('SECRET:Observation/obs-B');
  });

  it('family members', async () => {
    // a RelatedPerson of A with user/*.rs reads A's compartment and nothing of the rest of the database
    const scope = 'openid fhirUser user/*.rs';
    addPublicClient(a.t.auth, 'family-app', scope);
    const family = api(a.t, (await launch(a.t, 'family-app', scope, { username: 'rita' })).body.access_token);
    expect(entries((await family.get('Observation?_count=100')).body)).toEqual(['Observation/obs-A-lab', 'Observation/obs-A-vital']);
    expect(entries((await family.get('Patient')).body)).toEqual(['Patient/pat-A']);
    expect(entries((await family.get('Encounter')).body)).toEqual(['Encounter/enc-A']);
    expect((await family.get('Condition?_summary=count')).body.total).toBe(1);
    const system = await family.get('/fhir?_id=pat-A,pat-B,pat-C,obs-B-vital,cond-B');
    expect(entries(system.body)).toEqual(['Patient/pat-A']);
    expectNotFound(await family.get('Observation/obs-B-vital'));
    expectNotFound(await family.get('Patient/pat-C'));
    expect(JSON.stringify(system.body)).not.toMatch(/SECRET:[A-Za-z]+\/[a-z]+-[BC]/);
  });

  it('instance history', async () => {
    // the moved Observation: version 1 was A's, version 2 is B's; A sees version 1 only
    const res = await patientA.get('Observation/obs-moved/_history');
    expect({ status: res.status, versions: historyVersions(res.body) }).toEqual({ status: 200, versions: ['Observation/obs-moved/1'] });
    expect(JSON.stringify(res.body)).toContain(marker('Observation/obs-moved', '1'));
    expect(JSON.stringify(res.body)).not.toContain(marker('Observation/obs-moved', '2'));
    expect((await patientA.get('Observation/obs-moved/_history/1')).status).toBe(200);
    expectNotFound(await patientA.get('Observation/obs-moved/_history/2'));
  });

  it('resurrection', async () => {
    // PUT by A's patient/*.cruds token on B's deleted Observation must not bring it back under A
    const r = await seedObservation(a, 'B');
    expect((await a.admin.delete(r.ref)).status).toBe(204);
    const before = await stored(a, r.ref);
    expectNotFound(await patientA.put(r.ref, ownA(r.id)));
    expect(await stored(a, r.ref)).toEqual(before);
    expect(before).toEqual({ status: 410, versionId: undefined, subject: undefined, history: [`${r.ref}/2`, `${r.ref}/1`] });
  });

  it('write injection', async () => {
    // a record of B that names A as performer is still B's record
    const { id: _id, ...ofB } = observation('injected', 'B', 'vital-signs', '8867-4');
    const created = await patientA.post('Observation', { ...ofB, performer: [{ reference: 'Patient/pat-A' }] });
    expectForbidden(created);
    expect(await countByIdentifier(a, 'injected')).toBe(0);
    // moving A's record to B, by PATCH or PUT
    const r = await seedObservation(a, 'A');
    expectForbidden(await patientA.patch(r.ref, [{ op: 'replace', path: '/subject/reference', value: 'Patient/pat-B' }]));
    expectForbidden(await patientA.put(r.ref, { ...ownA(r.id), subject: { reference: 'Patient/pat-B' }, performer: [{ reference: 'Patient/pat-A' }] }));
    expect(await stored(a, r.ref)).toEqual({ status: 200, versionId: '1', subject: 'Patient/pat-A', history: [`${r.ref}/1`] });
  });

  it('hidden records', async () => {
    // B's deleted record reads as unknown: 404 (not 410), If-Match 404 (not 412), DELETE 404 (not 204), no version leaked
    const r = await seedObservation(a, 'B');
    expect((await a.admin.delete(r.ref)).status).toBe(204);
    const before = await stored(a, r.ref);
    const read = await patientA.get(r.ref);
    expectNotFound(read);
    const ifMatch = await patientA.put(r.ref, ownA(r.id)).set('If-Match', 'W/"2"');
    expectNotFound(ifMatch);
    expect(JSON.stringify(ifMatch.body)).not.toMatch(/version 2|W\/"2"/);
    const del = await patientA.delete(r.ref);
    expectNotFound(del);
    const history = await patientA.get(`${r.ref}/_history`);
    expectNotFound(history);
    expect(await stored(a, r.ref)).toEqual(before);
  });

  it('$reindex', async () => {
    // a read-only system token may not rebuild the index
    const res = await a.as(kind('system read-only')).post('/fhir/$reindex', { resourceType: 'Parameters' });
    expectForbidden(res);
    expect(res.body.parameter).toBeUndefined();
  });
});

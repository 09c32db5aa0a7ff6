import { CATEGORY, covers, CURRENT, entries, expectForbidden, expectNoLeak, KINDS, LOINC, names, startAccessServer, visible, type Access, type Kind } from './fixtures';

/**
 * Search for every kind of token: matches, _include and _revinclude, chains, _has, compartment and
 * system search, and totals see only the records the token covers; a type the scopes do not name is
 * refused (403). Searches never reveal another person's record, even by its absence from a criterion.
 */
let a: Access;
beforeAll(async () => {
  a = await startAccessServer();
});
afterAll(() => a.close());

interface Expected {
  /** The type whose search interaction the scopes must name (403 otherwise). */
  needs: string[];
  match: string[];
  include?: string[];
}

const isLab = (ref: string) => /-lab$/.test(ref);
const owners = (refs: string[]) => new Set(refs.map((r) => CURRENT.find((v) => v.ref === r)?.owner));
const seesRecord = (k: Kind, ref: string) => covers(k, CURRENT.find((v) => v.ref === ref)!);

const SEARCHES: [string, string, (k: Kind) => Expected][] = [
  ['every Observation', 'Observation?_count=100', (k) => ({ needs: ['Observation'], match: visible(k, 'Observation') })],
  ['Observations by category', `Observation?category=${CATEGORY}|laboratory`, (k) => ({ needs: ['Observation'], match: visible(k, 'Observation').filter(isLab) })],
  ['Observations by _id, own and others’', 'Observation?_id=obs-A-lab,obs-B-vital,obs-B-lab,obs-C-vital', (k) => ({
    needs: ['Observation'],
    match: visible(k, 'Observation').filter((r) => ['obs-A-lab', 'obs-B-vital', 'obs-B-lab', 'obs-C-vital'].includes(r.split('/')[1])),
  })],
  ['Observations of patient B by reference', 'Observation?patient=pat-B', (k) => ({ needs: ['Observation'], match: visible(k, 'Observation', 'B') })],
  ['every Patient', 'Patient', (k) => ({ needs: ['Patient'], match: visible(k, 'Patient') })],
  ['Patient by B’s identifier', 'Patient?identifier=urn:mi|MI-B', (k) => ({ needs: ['Patient'], match: visible(k, 'Patient', 'B') })],
  ['every Condition', 'Condition', (k) => ({ needs: ['Condition'], match: visible(k, 'Condition') })],
  ['every CareTeam', 'CareTeam', (k) => ({ needs: ['CareTeam'], match: visible(k, 'CareTeam') })],
  ['Encounter?_include=Encounter:subject', 'Encounter?_include=Encounter:subject', (k) => {
    const match = visible(k, 'Encounter');
    return { needs: ['Encounter'], match, include: visible(k, 'Patient').filter((p) => owners(match).has(CURRENT.find((v) => v.ref === p)?.owner)) };
  }],
  ['Patient?_revinclude=Observation:subject', 'Patient?_revinclude=Observation:subject', (k) => ({
    needs: ['Patient'],
    match: visible(k, 'Patient'),
    include: visible(k, 'Observation').filter((o) => owners(visible(k, 'Patient')).has(CURRENT.find((v) => v.ref === o)?.owner)),
  })],
  ['a chain to B’s identifier', 'Observation?subject.identifier=urn:mi|MI-B', (k) => ({
    needs: ['Observation'],
    match: seesRecord(k, 'Patient/pat-B') ? visible(k, 'Observation', 'B') : [],
  })],
  ['_has: patients with B’s laboratory code', `Patient?_has:Observation:subject:code=${LOINC}|2345-7`, (k) => ({
    needs: ['Patient'],
    match: seesRecord(k, 'Observation/obs-B-lab') ? ['Patient/pat-B'] : [],
  })],
  ['_has: patients with A’s laboratory code', `Patient?_has:Observation:subject:code=${LOINC}|718-7`, (k) => ({
    needs: ['Patient'],
    match: seesRecord(k, 'Observation/obs-A-lab') ? ['Patient/pat-A'] : [],
  })],
  ['compartment Patient/pat-A/Observation', 'Patient/pat-A/Observation', (k) => ({ needs: ['Observation'], match: visible(k, 'Observation', 'A') })],
  ['compartment Patient/pat-B/Observation', 'Patient/pat-B/Observation', (k) => ({ needs: ['Observation'], match: visible(k, 'Observation', 'B') })],
  ['compartment Patient/pat-B/Encounter', 'Patient/pat-B/Encounter', (k) => ({ needs: ['Encounter'], match: visible(k, 'Encounter', 'B') })],
  ['system search by _id', '/fhir?_id=pat-A,pat-B,pat-C,obs-B-vital,enc-A', (k) => ({
    needs: [],
    match: ['Patient/pat-A', 'Patient/pat-B', 'Patient/pat-C', 'Observation/obs-B-vital', 'Encounter/enc-A'].filter((r) => seesRecord(k, r)).sort(),
  })],
];

describe.each(KINDS)('$name', (k) => {
  it.each(SEARCHES)('%s', async (_label, url, expect_) => {
    const expected = expect_(k);
    const res = await a.as(k).get(url);
    if (!expected.needs.every((t) => names(k, t))) return expectForbidden(res);
    expect({ status: res.status, match: entries(res.body), include: entries(res.body, 'include'), total: res.body.total }).toEqual({
      status: 200,
      match: expected.match,
      include: expected.include ?? [],
      total: expected.match.length,
    });
    expectNoLeak(k, res);
  });

  it.each([
    ['every Observation', 'Observation?_summary=count', (k: Kind) => visible(k, 'Observation').length],
    ['B’s laboratory code', `Observation?code=${LOINC}|2345-7&_summary=count`, (k: Kind) => (seesRecord(k, 'Observation/obs-B-lab') ? 1 : 0)],
    ['B’s Observations by patient', 'Observation?patient=pat-B&_summary=count', (k: Kind) => visible(k, 'Observation', 'B').length],
    ['deleted and moved by _id', 'Observation?_id=obs-B-deleted,obs-moved&_summary=count', (k: Kind) => (seesRecord(k, 'Observation/obs-moved') ? 1 : 0)],
  ])('_summary=count of %s counts only visible records', async (_label, url, count) => {
    const res = await a.as(k).get(url);
    expect({ status: res.status, total: res.body.total, entries: (res.body.entry ?? []).filter((e: any) => e.search?.mode !== 'outcome').length }).toEqual({
      status: 200,
      total: count(k),
      entries: 0,
    });
  });

  it('paging through every Observation, two at a time, shows the visible ones only, each once', async () => {
    const seen: string[] = [];
    let url: string | undefined = 'Observation?_count=2';
    while (url) {
      const res = await a.as(k).get(url);
      expect(res.status).toBe(200);
      expectNoLeak(k, res);
      seen.push(...entries(res.body));
      const next = res.body.link?.find((l: any) => l.relation === 'next')?.url as string | undefined;
      url = next && new URL(next).pathname + new URL(next).search;
    }
    expect(seen.sort()).toEqual(visible(k, 'Observation'));
  });
});

import { hashSecret } from '../../src/auth/passwords';
import { addPublicClient, addSecretClient, addUser, launch, pkce, signinCookie, startSmartServer, systemToken, BASE, FHIR_JSON, REDIRECT } from '../smart/helpers';

/**
 * The people, records and tokens every access suite runs against, and what each kind of token is meant
 * to reach. Records are written with an administrator system token; every version of a patient's
 * record carries a marker (SECRET:Type/id/version) in its narrative, so a response that contains the
 * marker of a version the token does not cover has leaked it.
 */
export type Person = 'A' | 'B' | 'C';
export type Server = Awaited<ReturnType<typeof startSmartServer>>;

export const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const VITAL_SIGNS_SCOPE = `patient/Observation.rs?category=${CATEGORY}|vital-signs`;
export const LOINC = 'http://loinc.org';

/** One stored version. A deletion keeps the owner of the content before it: it is shown only with it. */
export interface Version {
  ref: string;
  versionId: string;
  owner?: Person;
  vitalSigns?: boolean;
  deleted?: boolean;
}

export const marker = (ref: string, versionId: string) => `SECRET:${ref}/${versionId}`;
const narrative = (ref: string, versionId: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${marker(ref, versionId)}</div>` });
const patient = (p: Person) => ({ reference: `Patient/pat-${p}` });

/** An Observation of p, with the identifier urn:record|id and the marker of its version. */
export function observation(id: string, p: Person, category: 'vital-signs' | 'laboratory', code: string, versionId = '1') {
  return {
    resourceType: 'Observation',
    id,
    text: narrative(`Observation/${id}`, versionId),
    identifier: [{ system: 'urn:record', value: id }],
    status: 'final',
    category: [{ coding: [{ system: CATEGORY, code: category }] }],
    code: { coding: [{ system: LOINC, code }] },
    subject: patient(p),
  };
}

/** Version 1 of every record, each with its owner (none: not a patient's record). */
const RECORDS: [Person | undefined, Record<string, any>][] = [
  [undefined, { resourceType: 'Organization', id: 'org-1', name: 'Clinic' }],
  ...['P1', 'P2', 'P3', 'admin'].map((p): [undefined, Record<string, any>] => [undefined, { resourceType: 'Practitioner', id: `prac-${p}`, name: [{ family: p }] }]),
  ...(['A', 'B', 'C'] as Person[]).map((p): [Person, Record<string, any>] => [
    p,
    { resourceType: 'Patient', id: `pat-${p}`, text: narrative(`Patient/pat-${p}`, '1'), identifier: [{ system: 'urn:mi', value: `MI-${p}` }], managingOrganization: { reference: 'Organization/org-1' } },
  ]),
  ['A', observation('obs-A-vital', 'A', 'vital-signs', '8867-4')],
  ['A', observation('obs-A-lab', 'A', 'laboratory', '718-7')],
  ['A', observation('obs-A-deleted', 'A', 'vital-signs', '8310-5')],
  ['B', observation('obs-B-vital', 'B', 'vital-signs', '8867-4')],
  ['B', observation('obs-B-lab', 'B', 'laboratory', '2345-7')],
  ['B', observation('obs-B-deleted', 'B', 'vital-signs', '8310-5')],
  ['C', observation('obs-C-vital', 'C', 'vital-signs', '8867-4')],
  ['A', observation('obs-moved', 'A', 'vital-signs', '9279-1')],
  ['A', { resourceType: 'Encounter', id: 'enc-A', text: narrative('Encounter/enc-A', '1'), status: 'finished', class: { code: 'AMB' }, subject: patient('A') }],
  [
    'B',
    {
      resourceType: 'Encounter',
      id: 'enc-B',
      text: narrative('Encounter/enc-B', '1'),
      status: 'finished',
      class: { code: 'AMB' },
      subject: patient('B'),
      participant: [{ individual: { reference: 'Practitioner/prac-P2' } }],
    },
  ],
  ['A', { resourceType: 'Condition', id: 'cond-A', text: narrative('Condition/cond-A', '1'), code: { text: 'asthma' }, subject: patient('A') }],
  ['B', { resourceType: 'Condition', id: 'cond-B', text: narrative('Condition/cond-B', '1'), code: { text: 'diabetes' }, subject: patient('B') }],
  [
    'A',
    { resourceType: 'CareTeam', id: 'careteam-A', text: narrative('CareTeam/careteam-A', '1'), status: 'active', subject: patient('A'), participant: [{ member: { reference: 'Practitioner/prac-P1' } }] },
  ],
  ['A', { resourceType: 'RelatedPerson', id: 'rp-R', text: narrative('RelatedPerson/rp-R', '1'), active: true, patient: patient('A'), name: [{ family: 'Parent' }] }],
];

/** Every version the fixture stores, oldest first. */
export const VERSIONS: Version[] = [
  ...RECORDS.map(([owner, r]) => ({
    ref: `${r.resourceType}/${r.id}`,
    versionId: '1',
    owner,
    vitalSigns: r.resourceType === 'Observation' && r.category[0].coding[0].code === 'vital-signs',
  })),
  // the moved Observation: version 1 is A's, version 2 is B's
  { ref: 'Observation/obs-moved', versionId: '2', owner: 'B', vitalSigns: true },
  { ref: 'Observation/obs-A-deleted', versionId: '2', owner: 'A', vitalSigns: true, deleted: true },
  { ref: 'Observation/obs-B-deleted', versionId: '2', owner: 'B', vitalSigns: true, deleted: true },
];

/** The current version of each record. */
export const CURRENT: Version[] = [...new Map(VERSIONS.map((v) => [v.ref, v])).values()];

export interface Kind {
  name: string;
  /** The patients whose records it reaches. */
  sees: Person[];
  /** Every record, a patient's or not (administrators and systems). */
  everything?: boolean;
  /** Only vital-signs Observations (and the Patient): the granular token. */
  vitalSignsOnly?: boolean;
  /** The types its scopes name (every type when absent). */
  types?: string[];
  /** Whether its scopes allow create, update and delete. */
  writes: boolean;
}

const ALL: Person[] = ['A', 'B', 'C'];
export const KINDS: Kind[] = [
  { name: 'patient (patient/*.cruds, patient A)', sees: ['A'], writes: true },
  { name: 'user who is Patient A (user/*.cruds)', sees: ['A'], writes: true },
  { name: 'user who is RelatedPerson R of A (user/*.cruds)', sees: ['A'], writes: true },
  { name: 'Practitioner P1, in A’s CareTeam (user/*.cruds)', sees: ['A'], writes: true },
  { name: 'Practitioner P2, in B’s Encounter (user/*.cruds)', sees: ['B'], writes: true },
  { name: 'Practitioner P3, related to no one (user/*.cruds)', sees: [], writes: true },
  { name: 'administrator user (user/*.cruds)', sees: ALL, everything: true, writes: true },
  { name: 'system read-only (system/*.rs)', sees: ALL, everything: true, writes: false },
  { name: 'system read-write (system/*.cruds)', sees: ALL, everything: true, writes: true },
  { name: 'granular vital signs (patient A)', sees: ['A'], vitalSignsOnly: true, types: ['Patient', 'Observation'], writes: false },
  { name: 'v1 patient/*.read (patient A)', sees: ['A'], writes: false },
];
export const kind = (prefix: string): Kind => KINDS.find((k) => k.name.startsWith(prefix)) as Kind;

export const typeOf = (ref: string) => ref.split('/')[0];
export const names = (k: Kind, type: string) => !k.types || k.types.includes(type);

/** Whether the token may see this version (a deletion: whether it may see the content before it). */
export function covers(k: Kind, v: Version): boolean {
  const type = typeOf(v.ref);
  if (!names(k, type)) return false;
  if (!v.owner) return !!k.everything;
  return k.sees.includes(v.owner) && (!k.vitalSignsOnly || type === 'Patient' || !!v.vitalSigns);
}

/** The current, not deleted records of a type the token may see (of one owner if given), sorted. */
export function visible(k: Kind, type: string, owner?: Person): string[] {
  return CURRENT.filter((v) => typeOf(v.ref) === type && !v.deleted && covers(k, v) && (!owner || v.owner === owner))
    .map((v) => v.ref)
    .sort();
}

/** The markers of every version the token must never be shown. */
export const hiddenMarkers = (k: Kind) => VERSIONS.filter((v) => !v.deleted && !covers(k, v) && v.owner).map((v) => marker(v.ref, v.versionId));

/** Asserts that nothing of what the token may not see is in the response, headers included. */
export function expectNoLeak(k: Kind, res: { body: unknown; headers: Record<string, unknown> }): void {
  const text = JSON.stringify(res.body) + JSON.stringify(res.headers);
  expect(hiddenMarkers(k).filter((m) => text.includes(m))).toEqual([]);
}

// ---- the server, its records and its tokens ----

export type Call = ReturnType<Server['http']['get']>;
export interface Api {
  get(url: string): Call;
  post(url: string, body: unknown): Call;
  put(url: string, body: unknown): Call;
  patch(url: string, ops: unknown[]): Call;
  delete(url: string): Call;
}
const path = (url: string) => (url.startsWith('/') ? url : `/fhir/${url}`);

export function api(t: Server, bearer: string): Api {
  const auth = (c: Call) => c.set('Authorization', `Bearer ${bearer}`);
  return {
    get: (url) => auth(t.http.get(path(url))),
    post: (url, body) => auth(t.http.post(path(url))).set('Content-Type', FHIR_JSON).send(body as object),
    put: (url, body) => auth(t.http.put(path(url))).set('Content-Type', FHIR_JSON).send(body as object),
    patch: (url, ops) => auth(t.http.patch(path(url))).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops)),
    delete: (url) => auth(t.http.delete(path(url))),
  };
}

export interface Access {
  t: Server;
  /** An administrator system token (system/*.cruds) for setting up and for checking the store. */
  admin: Api;
  adminToken: string;
  /** A client for each kind of token, by kind name. */
  as(k: Kind): Api;
  token: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts a SMART server, stores the fixture and gets a token of every kind asked for. The server lets
 * one address sign in 10 times a minute: all the kinds take 9 sign-ins.
 */
export async function startAccessServer(kinds: Kind[] = KINDS): Promise<Access> {
  const t = await startSmartServer();
  const system = async (id: string, scope: string) => systemToken(t, id, await addSecretClient(t.auth, id, scope), scope);
  const adminToken = await system('admin', 'system/*.cruds');
  const admin = api(t, adminToken);
  for (const [, r] of RECORDS) expect((await admin.put(`${r.resourceType}/${r.id}`, r)).status).toBe(201);
  expect((await admin.put('Observation/obs-moved', observation('obs-moved', 'B', 'vital-signs', '9279-1', '2'))).status).toBe(200);
  for (const id of ['obs-A-deleted', 'obs-B-deleted']) expect((await admin.delete(`Observation/${id}`)).status).toBe(204);

  await addUser(t.auth, 'ann', 'Patient/pat-A');
  await addUser(t.auth, 'rita', 'RelatedPerson/rp-R');
  for (const p of ['P1', 'P2', 'P3']) await addUser(t.auth, `dr-${p}`, `Practitioner/prac-${p}`);
  t.auth.putUser({ username: 'chief', passwordHash: await hashSecret('correct horse'), fhirUser: 'Practitioner/prac-admin', administrator: true });
  const user = async (client: string, scope: string, username: string) => {
    addPublicClient(t.auth, client, scope);
    const res = await launch(t, client, scope, { username });
    if (res.status !== 200) throw new Error(`${client}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token as string;
  };
  const cruds = 'openid fhirUser user/*.cruds';
  const tokens: [Kind, () => Promise<string>][] = [
    [kind('patient ('), () => user('patient-app', 'launch/patient openid fhirUser patient/*.cruds', 'ann')],
    [kind('user who is Patient'), () => user('user-app-ann', cruds, 'ann')],
    [kind('user who is RelatedPerson'), () => user('user-app-rita', cruds, 'rita')],
    [kind('Practitioner P1'), () => user('user-app-p1', cruds, 'dr-P1')],
    [kind('Practitioner P2'), () => user('user-app-p2', cruds, 'dr-P2')],
    [kind('Practitioner P3'), () => user('user-app-p3', cruds, 'dr-P3')],
    [kind('administrator'), () => user('user-app-chief', cruds, 'chief')],
    [kind('system read-only'), () => system('system-read', 'system/*.rs')],
    [kind('system read-write'), () => system('system-write', 'system/*.cruds')],
    [kind('granular'), () => user('vital-signs-app', `launch/patient ${VITAL_SIGNS_SCOPE} patient/Patient.rs`, 'ann')],
    [kind('v1'), () => user('v1-app', 'launch/patient patient/*.read', 'ann')],
  ];
  const token: Record<string, string> = {};
  for (const [k, get] of tokens) if (kinds.includes(k)) token[k.name] = await get();
  return {
    t,
    admin,
    adminToken,
    as: (k) => api(t, token[k.name]),
    token,
    close: () => t.close(),
  };
}

/** A token of an EHR launch: the EHR registers the launch patient, a user signs in. */
export async function ehrLaunchToken(a: Access, client: string, scope: string, username: string, patientId: string): Promise<string> {
  const { t } = a;
  addPublicClient(t.auth, client, `launch ${scope}`);
  const registered = await t.http.post('/auth/launch').set('Authorization', `Bearer ${a.adminToken}`).send({ patient: patientId });
  if (registered.status !== 200) throw new Error(`launch: ${registered.status}`);
  const { verifier, challenge } = pkce();
  const page = await t.http.get('/auth/authorize').query({
    response_type: 'code',
    client_id: client,
    redirect_uri: REDIRECT,
    scope: `launch ${scope}`,
    state: 's',
    aud: BASE,
    launch: registered.body.launch,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
  const cookie = signinCookie(page);
  await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username, password: 'correct horse' });
  const form: Record<string, string> = { request, decision: 'approve' };
  for (const s of `launch ${scope}`.split(' ')) form[`scope:${s}`] = 'on';
  const consent = await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send(form);
  const location = new URL(consent.headers.location);
  if (location.searchParams.get('error')) throw new Error(`consent: ${location.searchParams.get('error')}`);
  const code = location.searchParams.get('code') as string;
  const res = await t.http.post('/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client, code_verifier: verifier });
  if (res.status !== 200 || res.body.patient !== patientId) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

// ---- reading responses ----

/** `Type/id` of the entries of a search Bundle in one search mode, sorted. */
export const entries = (body: any, mode = 'match'): string[] =>
  (body.entry ?? [])
    .filter((e: any) => e.search?.mode === mode)
    .map((e: any) => `${e.resource.resourceType}/${e.resource.id}`)
    .sort();

/** `Type/id/versionId` of the entries of a history Bundle, in order (deletions have no resource). */
export const historyVersions = (body: any): string[] =>
  (body.entry ?? []).map((e: any) => `${new URL(e.fullUrl).pathname.replace(/^\/fhir\//, '')}/${/W\/"(\d+)"/.exec(e.response.etag)?.[1]}`);

/** 404 not-found with nothing of the record: no data, no version in headers or body. */
export function expectNotFound(res: { status: number; body: any; headers: Record<string, string> }): void {
  expect({ status: res.status, code: res.body?.issue?.[0]?.code }).toEqual({ status: 404, code: 'not-found' });
  expect(res.headers.etag).toBeUndefined();
  expect(res.headers['last-modified']).toBeUndefined();
  expect(res.headers.location).toBeUndefined();
  expect(JSON.stringify(res.body)).not.toMatch(/SECRET:|versionId/);
}

/** 403 forbidden with an OperationOutcome. */
export function expectForbidden(res: { status: number; body: any }): void {
  expect({ status: res.status, type: res.body?.resourceType, code: res.body?.issue?.[0]?.code }).toEqual({ status: 403, type: 'OperationOutcome', code: 'forbidden' });
  expect(JSON.stringify(res.body)).not.toContain('SECRET:');
}

let seeded = 0;
/** A record of one patient written by the administrator for one test, with a marker of its own. */
export async function seedObservation(a: Access, p: Person, extra: Record<string, unknown> = {}): Promise<{ id: string; ref: string; secret: string }> {
  const id = `seed-${p}-${++seeded}`;
  const body = { ...observation(id, p, 'vital-signs', '8867-4'), ...extra };
  expect((await a.admin.put(`Observation/${id}`, body)).status).toBe(201);
  return { id, ref: `Observation/${id}`, secret: marker(`Observation/${id}`, '1') };
}


/** What the administrator sees of a record: the status of a read, its current version, subject and history. */
export async function stored(a: Access, ref: string): Promise<{ status: number; versionId?: string; subject?: string; history: string[] }> {
  const res = await a.admin.get(ref);
  const history = await a.admin.get(`${ref}/_history`);
  return { status: res.status, versionId: res.body.meta?.versionId, subject: res.body.subject?.reference, history: history.status === 200 ? historyVersions(history.body) : [] };
}

/** How many records of a type carry this identifier value (urn:record), as the administrator counts them. */
export async function countByIdentifier(a: Access, value: string, type = 'Observation'): Promise<number> {
  const res = await a.admin.get(`${type}?identifier=urn:record|${value}&_summary=count`);
  expect(res.status).toBe(200);
  return res.body.total;
}

import { withBearer } from '../helpers/server';
import { describeScope } from '../../src/auth/describe';
import { addPublicClient, addSecretClient, addUser, launch, startSmartServer, systemToken } from '../smart/helpers';

/**
 * The person's own log: a patient token with patient/AuditEvent.rs reads the events about its own
 * compartment, those another client made included, never events about anyone else, and never the
 * query strings of other people's searches.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
let clinic: string;
let own: string;
const as = (bearer: string) => withBearer(t.http, bearer);

beforeAll(async () => {
  t = await startSmartServer({ FHIR_AUDIT: 'on' });
  clinic = await systemToken(t, 'clinic', await addSecretClient(t.auth, 'clinic', 'system/*.cruds'), 'system/*.cruds');
  for (const p of ['A', 'B']) await as(clinic).put(`/fhir/Patient/pat-${p}`, { resourceType: 'Patient', id: `pat-${p}`, name: [{ family: `Family${p}` }] });
  await as(clinic).get('/fhir/Patient/pat-A');
  await as(clinic).get('/fhir/Patient/pat-B');
  await as(clinic).get('/fhir/Observation?patient=pat-A&code=http://loinc.org|secret-code');
  await as(clinic).get('/fhir/Patient?family=FamilyB');
  addPublicClient(t.auth, 'portal', 'launch/patient patient/AuditEvent.rs patient/Patient.rs');
  await addUser(t.auth, 'ann', 'Patient/pat-A');
  own = (await launch(t, 'portal', 'launch/patient patient/AuditEvent.rs patient/Patient.rs', { username: 'ann' })).body.access_token;
  await as(own).get('/fhir/Patient/pat-A');
  await t.server.flushAudit();
});
afterAll(() => t.close());

const mentions = (e: any, ref: string) => JSON.stringify([e.entity ?? [], e.agent ?? []]).includes(`"${ref}"`);

it('is offered in plain words on the consent page', () => {
  expect(describeScope('patient/AuditEvent.rs')).toMatch(/^see who looked at your records/);
});

it('shows the events about the patient’s record made by another client, and none about anyone else', async () => {
  const res = await as(own).get('/fhir/AuditEvent?_count=1000&_sort=-date');
  expect(res.status).toBe(200);
  const events = res.body.entry.map((e: any) => e.resource);
  expect(events.length).toBeGreaterThanOrEqual(4);
  expect(events.every((e: any) => mentions(e, 'Patient/pat-A'))).toBe(true);
  expect(events.some((e: any) => mentions(e, 'Patient/pat-B'))).toBe(false);
  const byClinic = events.filter((e: any) => e.agent[0].altId === 'clinic');
  expect(byClinic.map((e: any) => e.subtype[0].code).sort()).toEqual(['read', 'search-type', 'update']);
  // who, when, what kind of access, from where
  const read = byClinic.find((e: any) => e.subtype[0].code === 'read');
  expect(read).toMatchObject({ action: 'R', outcome: '0', agent: [{ who: { display: 'clinic' }, requestor: true, network: { address: expect.any(String) } }] });
  expect(read.recorded).toMatch(/^\d{4}-/);
  // the patient's own sign-in and consent decision are there too
  expect(events.some((e: any) => e.type.code === '110114' && e.subtype.some((s: any) => s.code === 'consent-decision') && e.outcome === '0')).toBe(true);
});

it('never shows the query strings of other people’s searches', async () => {
  const res = await as(own).get('/fhir/AuditEvent?subtype=search-type&_count=100');
  // the clinic's search about pat-A (the person's own searches, recorded by now or not, are theirs to see)
  const events = res.body.entry.map((e: any) => e.resource).filter((e: any) => e.agent?.[0]?.altId === 'clinic');
  expect(events).toHaveLength(1);
  expect(JSON.stringify(events[0])).not.toMatch(/"query"/);
  // unredacted in the store, for the administrators' audit
  const admin = await systemToken(t, 'auditor', await addSecretClient(t.auth, 'auditor', 'system/AuditEvent.rs'), 'system/AuditEvent.rs');
  const full = await as(admin).get(`/fhir/AuditEvent/${events[0].id}`);
  expect(Buffer.from(full.body.entity.find((e: any) => e.role?.code === '24').query, 'base64').toString()).toContain('secret-code');
});

it('reads of another person’s events are 404, as unknown ids are', async () => {
  const admin = await systemToken(t, 'auditor2', await addSecretClient(t.auth, 'auditor2', 'system/AuditEvent.rs'), 'system/AuditEvent.rs');
  const theirs = (await as(admin).get('/fhir/AuditEvent?patient=Patient/pat-B&_count=1')).body.entry[0].resource.id;
  expect((await as(own).get(`/fhir/AuditEvent/${theirs}`)).status).toBe(404);
  expect((await as(own).get('/fhir/AuditEvent?patient=Patient/pat-B')).body.entry ?? []).toEqual([]);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { parseResourceScope } from '../../src/auth/scopes';
import { getRegistry } from '../../src/definitions/registry';
import { compileGrant, systemGrant, type Grant } from '../../src/guard/grant';
import { createFhirServer, type FhirServer } from '../../src/server';
import { FHIR_JSON } from '../helpers/server';

/** A patient's grant: Patient and Observation of one patient (patient/ scopes), every Practitioner, nothing else. */
function patientGrant(patient: string): Grant {
  const scopes = ['patient/Patient.rs', 'patient/Observation.rs', 'system/Practitioner.rs'].map((s) => parseResourceScope(s)!);
  return compileGrant({ clientId: 'test', scopes, otherScopes: [], patient, userReach: [] }, getRegistry(), () => []);
}

describe('search sees only what the grants allow (chains, _has, _include, _revinclude, totals)', () => {
  let server: FhirServer;
  let dir: string;
  let http: ReturnType<typeof request>;
  const get = async (url: string) => {
    const res = await http.get(url).set('X-Patient', 'p1');
    expect(res.status).toBe(200);
    return res.body;
  };
  const ids = (bundle: any, mode: string) => (bundle.entry ?? []).filter((e: any) => e.search.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-access-'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', FHIR_BASE_URL: 'http://localhost:8080/fhir', SQLITE_SYNCHRONOUS: 'NORMAL' });
    server = await createFhirServer(config, {
      authenticate: async (headers) => (typeof headers['x-patient'] === 'string' ? patientGrant(headers['x-patient']) : systemGrant('test')),
    });
    http = request(server.app);
    const resources = [
      { resourceType: 'Organization', id: 'org1', name: 'Acme' },
      { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Shared' }] },
      { resourceType: 'Patient', id: 'p1', name: [{ family: 'One' }], managingOrganization: { reference: 'Organization/org1' }, generalPractitioner: [{ reference: 'Practitioner/dr1' }] },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Two' }], generalPractitioner: [{ reference: 'Practitioner/dr1' }] },
      { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x', coding: [{ code: 'plain' }] }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Practitioner/dr1' }] },
      { resourceType: 'Observation', id: 'o2', status: 'final', code: { coding: [{ code: 'secret' }] }, subject: { reference: 'Patient/p2' }, performer: [{ reference: 'Practitioner/dr1' }] },
    ];
    for (const r of resources) expect((await http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR_JSON).send(r)).status).toBe(201);
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('matches and totals count only visible resources', async () => {
    const b = await get('/fhir/Observation');
    expect(ids(b, 'match')).toEqual(['Observation/o1']);
    expect(b.total).toBe(1);
    expect((await get('/fhir/Observation?code=secret&_summary=count')).total).toBe(0);
  });

  it('_has and chains are evaluated over readable data only (no oracle)', async () => {
    expect(ids(await get('/fhir/Practitioner?_has:Observation:performer:code=secret'), 'match')).toEqual([]);
    expect(ids(await get('/fhir/Practitioner?_has:Observation:performer:code=plain'), 'match')).toEqual(['Practitioner/dr1']);
    expect(ids(await get('/fhir/Practitioner?_has:Patient:general-practitioner:name=two'), 'match')).toEqual([]);
    expect(ids(await get('/fhir/Patient?organization.name=acme'), 'match')).toEqual([]);
    expect(ids(await get('/fhir/Observation?performer.name=shared'), 'match')).toEqual(['Observation/o1']);
  });

  it('_include and _revinclude through a shared Practitioner authorize each included resource', async () => {
    const rev = await get('/fhir/Practitioner?_revinclude=Observation:performer&_revinclude=Patient:general-practitioner');
    expect(ids(rev, 'include')).toEqual(['Observation/o1', 'Patient/p1']);
    const iter = await get('/fhir/Observation?_include=Observation:performer&_revinclude:iterate=Patient:general-practitioner&_include=Patient:organization');
    expect(ids(iter, 'include')).toEqual(['Patient/p1', 'Practitioner/dr1']);
    const star = await get('/fhir/Patient?_include=Patient:*');
    expect(ids(star, 'include')).toEqual(['Practitioner/dr1']);
  });

  it('a type outside the grants is refused at type level and contributes nothing to system search', async () => {
    expect((await http.get('/fhir/Organization').set('X-Patient', 'p1')).status).toBe(403);
    const sys = await get('/fhir?_id=org1,p1,p2');
    expect(ids(sys, 'match')).toEqual(['Patient/p1']);
  });
});

import { MedplumClient } from '@medplum/core';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { startClientServer, stepCounts, visitTransaction, type ClientServer } from './helpers';

/**
 * @medplum/core's MedplumClient (Node's fetch) against the server on a loopback port with a system
 * token: create, read, search with paging through the server's next links, update, history, delete, a
 * transaction and $everything, each checked on what comes back.
 */
let t: ClientServer;
let medplum: MedplumClient;
let patientId: string;

beforeAll(async () => {
  t = await startClientServer();
  medplum = new MedplumClient({ baseUrl: `http://127.0.0.1:${t.port}/`, fhirUrlPath: 'fhir', fetch: globalThis.fetch.bind(globalThis), cacheTime: 0 });
  medplum.setAccessToken(await t.systemToken());
});
afterAll(() => t.close());

describe('MedplumClient', () => {
  it('creates and reads a Patient', async () => {
    const created = await medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family: 'Plum', given: ['Max'] }], birthDate: '1985-03-04' });
    expect(created).toMatchObject({ resourceType: 'Patient', meta: { versionId: '1' }, name: [{ family: 'Plum' }] });
    patientId = created.id as string;
    expect(await medplum.readResource('Patient', patientId)).toMatchObject({ id: patientId, birthDate: '1985-03-04' });
  });

  it('searches with paging, following the next links the server gives', async () => {
    for (const o of stepCounts(patientId)) await medplum.createResource<Observation>(o);
    const first = await medplum.search('Observation', { subject: `Patient/${patientId}`, _count: 2, _total: 'accurate' });
    expect(first.total).toBe(5);
    for (const l of first.link ?? []) expect(l.url?.startsWith(`${t.baseUrl}/Observation?`)).toBe(true);
    const pages: number[][] = [];
    for await (const page of medplum.searchResourcePages('Observation', { subject: `Patient/${patientId}`, _count: 2 })) {
      pages.push(page.map((o) => o.valueQuantity?.value as number));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort((a, b) => a - b)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('updates the Patient and reads its history, newest first', async () => {
    const current = await medplum.readResource('Patient', patientId);
    const updated = await medplum.updateResource<Patient>({ ...current, gender: 'male' });
    expect(updated).toMatchObject({ meta: { versionId: '2' }, gender: 'male' });
    const history = await medplum.readHistory('Patient', patientId);
    expect(history).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 2 });
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  });

  it('executes a transaction whose entries refer to each other', async () => {
    const response = await medplum.executeBatch(visitTransaction(patientId) as Bundle);
    expect(response).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
    expect(response.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
    const [encounter, observation] = (response.entry ?? []).map((e) => (e.response?.location as string).split('/_history')[0]);
    const [, observationId] = observation.split('/');
    expect((await medplum.readResource('Observation', observationId)).encounter).toEqual({ reference: encounter });
  });

  it('reads Patient/$everything', async () => {
    const bundle = await medplum.readPatientEverything(patientId);
    const types = (bundle.entry ?? []).map((e) => e.resource?.resourceType);
    expect(types[0]).toBe('Patient');
    expect(types.filter((x) => x === 'Observation')).toHaveLength(6);
    expect(types.filter((x) => x === 'Encounter')).toHaveLength(1);
  });

  it('deletes an Observation: it is gone from reads and searches', async () => {
    const [one] = await medplum.searchResources('Observation', { subject: `Patient/${patientId}`, 'value-quantity': '1000' });
    await medplum.deleteResource('Observation', one.id as string);
    await expect(medplum.readResource('Observation', one.id as string)).rejects.toThrow(/deleted|gone/i);
    const after = await medplum.search('Observation', { subject: `Patient/${patientId}`, _total: 'accurate' });
    expect(after.total).toBe(5);
  });
});

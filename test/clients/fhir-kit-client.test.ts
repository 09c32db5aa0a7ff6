import { startClientServer, stepCounts, visitTransaction, type ClientServer } from './helpers';

/**
 * fhir-kit-client (Node) against the server on a loopback port with a system token: create, read,
 * search with paging through the server's next links, update, history, delete, a transaction and
 * $everything, each checked on what comes back.
 */
type Resource = { resourceType: string; id?: string; meta?: { versionId?: string }; [k: string]: unknown };
type Bundle = Resource & { total?: number; link?: { relation: string; url: string }[]; entry?: { resource?: Resource; response?: { status: string; location?: string } }[] };
/** The part of fhir-kit-client's Client this test uses (the package is ESM only, loaded by name below). */
interface FhirKitClient {
  create(p: { resourceType: string; body: object }): Promise<Resource>;
  read(p: { resourceType: string; id: string }): Promise<Resource>;
  update(p: { resourceType: string; id: string; body: object }): Promise<Resource>;
  delete(p: { resourceType: string; id: string }): Promise<unknown>;
  search(p: { resourceType: string; searchParams: Record<string, string | number> }): Promise<Bundle>;
  nextPage(p: { bundle: Bundle }): Promise<Bundle> | undefined;
  history(p: { resourceType: string; id: string }): Promise<Bundle>;
  transaction(p: { body: object }): Promise<Bundle>;
  operation(p: { name: string; resourceType: string; id: string; method: 'GET' | 'POST' }): Promise<Bundle>;
}

let t: ClientServer;
let client: FhirKitClient;
let patientId: string;

beforeAll(async () => {
  t = await startClientServer();
  const specifier = 'fhir-kit-client';
  const { Client } = (await import(specifier)) as { Client: new (config: { baseUrl: string; bearerToken?: string }) => FhirKitClient };
  client = new Client({ baseUrl: t.baseUrl, bearerToken: await t.systemToken() });
});
afterAll(() => t.close());

describe('fhir-kit-client', () => {
  it('creates and reads a Patient', async () => {
    const created = await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Kit', given: ['Fay'] }], birthDate: '1990-01-02' } });
    expect(created).toMatchObject({ resourceType: 'Patient', meta: { versionId: '1' }, name: [{ family: 'Kit' }] });
    patientId = created.id as string;
    const read = await client.read({ resourceType: 'Patient', id: patientId });
    expect(read).toMatchObject({ id: patientId, birthDate: '1990-01-02' });
  });

  it('searches with paging, following the next links the server gives', async () => {
    for (const o of stepCounts(patientId)) await client.create({ resourceType: 'Observation', body: o });
    let page: Bundle | undefined = await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patientId}`, _count: 2, _total: 'accurate' } });
    expect(page.total).toBe(5);
    const values: number[] = [];
    const sizes: number[] = [];
    while (page) {
      sizes.push(page.entry?.length ?? 0);
      values.push(...(page.entry ?? []).map((e) => (e.resource?.valueQuantity as { value: number }).value));
      // the links name the address this client used, not localhost
      for (const l of page.link ?? []) expect(l.url.startsWith(`${t.baseUrl}/Observation?`)).toBe(true);
      page = page.link?.some((l) => l.relation === 'next') ? await client.nextPage({ bundle: page }) : undefined;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(values.sort((a, b) => a - b)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('updates the Patient and reads its history, newest first', async () => {
    const updated = await client.update({ resourceType: 'Patient', id: patientId, body: { resourceType: 'Patient', id: patientId, name: [{ family: 'Kit', given: ['Fay'] }], birthDate: '1990-01-02', gender: 'female' } });
    expect(updated).toMatchObject({ meta: { versionId: '2' }, gender: 'female' });
    const history = await client.history({ resourceType: 'Patient', id: patientId });
    expect(history).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 2 });
    expect(history.entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['2', '1']);
  });

  it('posts a transaction whose entries refer to each other', async () => {
    const response = await client.transaction({ body: visitTransaction(patientId) });
    expect(response).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
    expect(response.entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
    const encounterId = (response.entry?.[0].response?.location as string).split('/')[1];
    const observation = await client.read({ resourceType: 'Observation', id: (response.entry?.[1].response?.location as string).split('/')[1] });
    expect(observation.encounter).toEqual({ reference: `Encounter/${encounterId}` });
  });

  it('runs Patient/$everything', async () => {
    const bundle = await client.operation({ name: '$everything', resourceType: 'Patient', id: patientId, method: 'GET' });
    const types = (bundle.entry ?? []).map((e) => e.resource?.resourceType);
    expect(types[0]).toBe('Patient');
    expect(types.filter((x) => x === 'Observation')).toHaveLength(6);
    expect(types.filter((x) => x === 'Encounter')).toHaveLength(1);
  });

  it('deletes an Observation: it is gone from reads and searches', async () => {
    const [first] = (await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patientId}`, 'value-quantity': 1000 } })).entry ?? [];
    const id = first.resource?.id as string;
    await client.delete({ resourceType: 'Observation', id });
    await expect(client.read({ resourceType: 'Observation', id })).rejects.toMatchObject({ response: { status: 410 } });
    const after = await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patientId}`, _total: 'accurate' } });
    expect(after.total).toBe(5);
  });
});

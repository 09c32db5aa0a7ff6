import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
});
afterAll(() => t.close());

const post = (bundle: unknown) => t.http.post('/fhir').set('Content-Type', FHIR_JSON).send(bundle as object);
const tx = (...entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const count = async (query: string) => (await t.http.get(`/fhir/${query}`)).body.total as number;

describe('transaction (http.html#transaction)', () => {
  it('creates entries that refer to each other by urn:uuid, in references, extensions, nested elements and narrative', async () => {
    const res = await post(
      tx(
        {
          fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000001',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:t1', value: 'p' }], generalPractitioner: [{ reference: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000002' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000002',
          resource: { resourceType: 'Practitioner', name: [{ family: 'Chen' }] },
          request: { method: 'POST', url: 'Practitioner' },
        },
        {
          fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000003',
          resource: {
            resourceType: 'Encounter',
            status: 'finished',
            class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
            subject: { reference: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000001' },
            participant: [{ individual: { reference: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000002' } }],
            extension: [{ url: 'http://example.org/referrer', valueReference: { reference: 'urn:uuid:0d1b6a1e-0000-4000-8000-000000000002' } }],
            text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="urn:uuid:0d1b6a1e-0000-4000-8000-000000000001">patient</a></div>' },
          },
          request: { method: 'POST', url: 'Encounter' },
        }
      )
    );
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    const [p, pr, enc] = res.body.entry.map((e: any) => e.response);
    expect(p.status).toBe('201 Created');
    expect(p.location).toMatch(/^Patient\/[0-9a-f-]{36}\/_history\/1$/);
    expect(p.etag).toBe('W/"1"');
    expect(Date.parse(p.lastModified)).not.toBeNaN();
    const patientRef = p.location.split('/_history')[0];
    const practitionerRef = pr.location.split('/_history')[0];
    const encounter = (await t.http.get(`/fhir/${enc.location.split('/_history')[0]}`)).body;
    expect(encounter.subject.reference).toBe(patientRef);
    expect(encounter.participant[0].individual.reference).toBe(practitionerRef);
    expect(encounter.extension[0].valueReference.reference).toBe(practitionerRef);
    expect(encounter.text.div).toContain(`href="${patientRef}"`);
    const patient = (await t.http.get(`/fhir/${patientRef}`)).body;
    expect(patient.generalPractitioner[0].reference).toBe(practitionerRef);
  });

  it('resolves urn:oid fullUrls as it resolves urn:uuid ones', async () => {
    const res = await post(
      tx(
        { fullUrl: 'urn:oid:1.2.156.112604.1.2.3', resource: { resourceType: 'Patient', name: [{ family: 'Oid' }] }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:oid:1.2.156.112604.1.2.4', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:oid:1.2.156.112604.1.2.3' } }, request: { method: 'POST', url: 'Observation' } }
      )
    );
    expect(res.status).toBe(200);
    const patient = res.body.entry[0].response.location.replace(/\/_history\/\d+$/, '');
    const observation = (await t.http.get(`/fhir/${res.body.entry[1].response.location}`)).body;
    expect(observation.subject.reference).toBe(patient);
  });

  // not on the MongoDB stand-in: it evaluates every query by scanning memory on the event loop, so it
  // shows neither the size nor the responsiveness of a real store (it is there for query semantics)
  const big = 5000;
  const onRealStore = process.env.FHIR_TEST_STORE === 'mongo-standin' ? it.skip : it;
  onRealStore(`commits a ${big}-entry transaction while reads from other clients are answered meanwhile`, async () => {
    const created = await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Reader' }] });
    const entry = Array.from({ length: big }, (_, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: { resourceType: 'Patient', identifier: [{ system: 'urn:big-tx', value: String(i) }], name: [{ family: `Big${i}`, given: ['Transaction'] }] },
      request: { method: 'POST', url: 'Patient' },
    }));
    let committedAt = 0;
    const startedAt = Date.now();
    const pending = post(tx(...entry)).then((r) => ((committedAt = Date.now()), r));
    const answered: number[] = [startedAt];
    // reads keep coming while the transaction is sent, parsed and processed
    while (!committedAt && answered.length < 5000) {
      const r = await t.http.get(`/fhir/Patient/${created.body.id}`);
      expect(r.status).toBe(200);
      answered.push(Date.now());
    }
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(big);
    // no stretch without an answered read spans most of the transaction: it never held the server up
    const gaps = answered.slice(1).map((at, i) => at - answered[i]);
    expect(Math.max(...gaps)).toBeLessThan((committedAt - startedAt) / 2);
    expect(await count(`Patient?identifier=urn:big-tx|${big - 1}&_total=accurate`)).toBe(1);
  });

  it('is all or nothing: one invalid entry leaves no trace of any entry', async () => {
    const before = (await t.http.get('/fhir/_history?_count=1')).body.entry?.[0]?.response?.etag;
    const res = await post(
      tx(
        { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:atomic', value: 'a' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:atomic', value: 'b' }], birthDate: 'not-a-date' }, request: { method: 'POST', url: 'Patient' } }
      )
    );
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain('entry 1');
    expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]/);
    expect(await count('Patient?identifier=urn:atomic|a')).toBe(0);
    expect((await t.http.get('/fhir/_history?_count=1')).body.entry?.[0]?.response?.etag).toBe(before);
  });

  it('a stale ifMatch or an unmatched conditional reference fails the whole transaction', async () => {
    const created = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).body;
    const stale = await post(
      tx(
        { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:stale', value: 'x' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: created.id, active: true }, request: { method: 'PUT', url: `Patient/${created.id}`, ifMatch: 'W/"9"' } }
      )
    );
    expect(stale.status).toBe(412);
    expect(await count('Patient?identifier=urn:stale|x')).toBe(0);
    const unmatched = await post(
      tx(
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, identifier: [{ system: 'urn:cond', value: 'o' }], subject: { reference: 'Patient?identifier=urn:none|none' } }, request: { method: 'POST', url: 'Observation' } }
      )
    );
    expect(unmatched.status).toBe(412);
    expect(unmatched.body.issue[0].diagnostics).toMatch(/matched nothing/);
    expect(await count('Observation?identifier=urn:cond|o')).toBe(0);
  });

  it('resolves a conditional reference that matches exactly one resource', async () => {
    await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: [{ system: 'urn:mi', value: 'MI-42' }] });
    const res = await post(
      tx({ resource: { resourceType: 'Observation', status: 'final', code: { text: 'hr' }, subject: { reference: 'Patient?identifier=urn:mi|MI-42' } }, request: { method: 'POST', url: 'Observation' } })
    );
    expect(res.status).toBe(200);
    const obs = (await t.http.get(`/fhir/${res.body.entry[0].response.location.split('/_history')[0]}`)).body;
    const patient = (await t.http.get('/fhir/Patient?identifier=urn:mi|MI-42')).body.entry[0].resource;
    expect(obs.subject.reference).toBe(`Patient/${patient.id}`);
  });

  it('processes DELETE, POST, PUT, GET in that order whatever the entry order (GET sees the PUT)', async () => {
    const p = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', active: false })).body;
    const gone = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).body;
    const res = await post(
      tx(
        { request: { method: 'GET', url: `Patient/${p.id}` } },
        { resource: { resourceType: 'Patient', id: p.id, active: true }, request: { method: 'PUT', url: `Patient/${p.id}` } },
        { request: { method: 'DELETE', url: `Patient/${gone.id}` } }
      )
    );
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource).toMatchObject({ id: p.id, active: true, meta: { versionId: '2' } });
    expect(res.body.entry[0].response.status).toBe('200 OK');
    expect(res.body.entry[1].response.status).toBe('200 OK');
    expect(res.body.entry[2].response.status).toBe('204 No Content');
    expect((await t.http.get(`/fhir/Patient/${gone.id}`)).status).toBe(410);
  });

  it('honours ifNoneExist per entry: a match is answered 200 and nothing is created', async () => {
    const first = await post(tx({ resource: { resourceType: 'Patient', identifier: [{ system: 'urn:ine', value: '1' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:ine|1' } }));
    expect(first.body.entry[0].response.status).toBe('201 Created');
    const again = await post(tx({ resource: { resourceType: 'Patient', identifier: [{ system: 'urn:ine', value: '1' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:ine|1' } }));
    expect(again.body.entry[0].response.status).toBe('200 OK');
    expect(again.body.entry[0].response.location).toBe(first.body.entry[0].response.location);
    expect(await count('Patient?identifier=urn:ine|1')).toBe(1);
  });

  it('conditional update in a transaction creates or updates, and its fullUrl resolves', async () => {
    const res = await post(
      tx(
        { fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-00000000000a', resource: { resourceType: 'Patient', identifier: [{ system: 'urn:cu', value: '7' }] }, request: { method: 'PUT', url: 'Patient?identifier=urn:cu|7' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:0d1b6a1e-0000-4000-8000-00000000000a' } }, request: { method: 'POST', url: 'Observation' } }
      )
    );
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('201 Created');
    const patientRef = res.body.entry[0].response.location.split('/_history')[0];
    const obs = (await t.http.get(`/fhir/${res.body.entry[1].response.location.split('/_history')[0]}`)).body;
    expect(obs.subject.reference).toBe(patientRef);
  });

  it('refuses two changes to the same resource, a populated response, a missing request or resource, and bad bundle types', async () => {
    const p = (await t.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient' })).body;
    const twice = await post(
      tx(
        { resource: { resourceType: 'Patient', id: p.id }, request: { method: 'PUT', url: `Patient/${p.id}` } },
        { request: { method: 'DELETE', url: `Patient/${p.id}` } }
      )
    );
    expect(twice.status).toBe(400);
    expect((await post(tx({ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' }, response: { status: '201' } }))).status).toBe(400);
    expect((await post(tx({ resource: { resourceType: 'Patient' } }))).status).toBe(400);
    expect((await post(tx({ request: { method: 'POST', url: 'Patient' } }))).status).toBe(400);
    expect((await post({ resourceType: 'Bundle', type: 'collection', entry: [] })).status).toBe(400);
    expect((await post({ resourceType: 'Patient' })).status).toBe(400);
    expect((await t.http.get(`/fhir/Patient/${p.id}`)).body.meta.versionId).toBe('1');
  });

  it('an empty transaction answers 200 with an empty transaction-response', async () => {
    const res = await post({ resourceType: 'Bundle', type: 'transaction' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ resourceType: 'Bundle', type: 'transaction-response', entry: [] });
  });
});

describe('batch', () => {
  it('runs entries independently and answers each in order, failures with an OperationOutcome', async () => {
    const res = await post({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:batch', value: '1' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', birthDate: 'nope' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        { request: { method: 'GET', url: 'Patient?identifier=urn:batch|1' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    const statuses = res.body.entry.map((e: any) => e.response.status);
    expect(statuses).toEqual(['201 Created', '400 Bad Request', '404 Not Found', '200 OK']);
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(res.body.entry[3].resource).toMatchObject({ type: 'searchset', total: 1 });
    expect(await count('Patient?identifier=urn:batch|1')).toBe(1);
  });

  it('refuses an entry that refers to another entry of the batch', async () => {
    const res = await post({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { fullUrl: 'urn:uuid:0d1b6a1e-0000-4000-8000-0000000000b1', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:0d1b6a1e-0000-4000-8000-0000000000b1' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    });
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '400 Bad Request']);
  });
});

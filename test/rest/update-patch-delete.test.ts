import { startTestServer, FHIR_JSON, type TestServer } from '../helpers/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

async function createPatient(extra: Record<string, unknown> = {}): Promise<{ id: string; body: any }> {
  const res = await t.http
    .post('/fhir/Patient')
    .set('Content-Type', FHIR_JSON)
    .send({ resourceType: 'Patient', name: [{ family: 'Li' }], ...extra });
  expect(res.status).toBe(201);
  return { id: res.body.id, body: res.body };
}

const put = (path: string, body: unknown) => t.http.put(path).set('Content-Type', FHIR_JSON).send(body as object);

describe('update (http.html#update)', () => {
  it('writes a new version: 200, ETag +1, visible in history', async () => {
    const { id } = await createPatient();
    const res = await put(`/fhir/Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: 'Wang' }] });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
    expect(res.body.meta.versionId).toBe('2');
    const hist = await t.http.get(`/fhir/Patient/${id}/_history`);
    expect(hist.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2', '1']);
  });

  it('refuses a body without id or with another id (400)', async () => {
    const { id } = await createPatient();
    expect((await put(`/fhir/Patient/${id}`, { resourceType: 'Patient' })).status).toBe(400);
    const other = await put(`/fhir/Patient/${id}`, { resourceType: 'Patient', id: 'other' });
    expect(other.status).toBe(400);
    expect(other.body.issue[0].expression).toEqual(['id']);
  });

  it('creates with the client id when the id is new (update as create: 201)', async () => {
    const res = await put('/fhir/Patient/client-id-1', { resourceType: 'Patient', id: 'client-id-1' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('http://localhost:8080/fhir/Patient/client-id-1/_history/1');
    expect((await t.http.get('/fhir/Patient/client-id-1')).status).toBe(200);
  });

  it('If-Match: a stale ETag is 412, the current one succeeds', async () => {
    const { id } = await createPatient();
    const stale = await put(`/fhir/Patient/${id}`, { resourceType: 'Patient', id }).set('If-Match', 'W/"5"');
    expect(stale.status).toBe(412);
    const ok = await put(`/fhir/Patient/${id}`, { resourceType: 'Patient', id, active: true }).set('If-Match', 'W/"1"');
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('W/"2"');
  });

  describe('conditional update (http.html#cond-update)', () => {
    const ident = (v: string) => ({ identifier: [{ system: 'urn:test:cu', value: v }] });
    it('0 matches without id creates; 1 match updates it', async () => {
      const created = await put('/fhir/Patient?identifier=urn:test:cu|A', { resourceType: 'Patient', ...ident('A') });
      expect(created.status).toBe(201);
      const updated = await put('/fhir/Patient?identifier=urn:test:cu|A', { resourceType: 'Patient', ...ident('A'), active: true });
      expect(updated.status).toBe(200);
      expect(updated.body.id).toBe(created.body.id);
      expect(updated.body.meta.versionId).toBe('2');
    });
    it('1 match with a different body id is 400; several matches are 412', async () => {
      await createPatient(ident('B'));
      const mismatch = await put('/fhir/Patient?identifier=urn:test:cu|B', { resourceType: 'Patient', id: 'nope', ...ident('B') });
      expect(mismatch.status).toBe(400);
      await createPatient(ident('B'));
      const many = await put('/fhir/Patient?identifier=urn:test:cu|B', { resourceType: 'Patient', ...ident('B') });
      expect(many.status).toBe(412);
    });
  });
});

describe('patch (http.html#patch)', () => {
  const patch = (path: string, ops: unknown, type = 'application/json-patch+json') =>
    t.http.patch(path).set('Content-Type', type).send(JSON.stringify(ops));

  it('applies a JSON Patch with update semantics', async () => {
    const { id } = await createPatient({ active: false });
    const res = await patch(`/fhir/Patient/${id}`, [
      { op: 'test', path: '/active', value: false },
      { op: 'replace', path: '/active', value: true },
      { op: 'add', path: '/gender', value: 'female' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, active: true, gender: 'female', meta: { versionId: '2' } });
  });

  it('a failed test operation is 422, a patch that changes the id is 422, a result that is invalid is 400/422', async () => {
    const { id } = await createPatient({ active: false });
    expect((await patch(`/fhir/Patient/${id}`, [{ op: 'test', path: '/active', value: true }])).status).toBe(422);
    expect((await patch(`/fhir/Patient/${id}`, [{ op: 'replace', path: '/id', value: 'x' }])).status).toBe(422);
    const invalid = await patch(`/fhir/Patient/${id}`, [{ op: 'add', path: '/birthDate', value: 'not-a-date' }]);
    expect([400, 422]).toContain(invalid.status);
    expect((await t.http.get(`/fhir/Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it('applies a FHIRPath Patch (Parameters) with update semantics', async () => {
    const { id } = await createPatient({ active: false });
    const res = await patch(
      `/fhir/Patient/${id}`,
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.active' }, { name: 'value', valueBoolean: true }] },
          { name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'other' }] },
        ],
      },
      'application/fhir+json'
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, active: true, gender: 'other', meta: { versionId: '2' } });
    const notParams = await patch(`/fhir/Patient/${id}`, { resourceType: 'Patient' }, 'application/fhir+json');
    expect(notParams.status).toBe(400);
  });

  it('refuses other media types (415), malformed documents and prototype pointers (400)', async () => {
    const { id } = await createPatient();
    expect((await patch(`/fhir/Patient/${id}`, [{ op: 'add', path: '/active', value: true }], 'text/plain')).status).toBe(415);
    expect((await patch(`/fhir/Patient/${id}`, { op: 'add' })).status).toBe(400);
    expect((await patch(`/fhir/Patient/${id}`, [{ op: 'add', path: '/__proto__/polluted', value: 1 }])).status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('conditional patch: no match is 404', async () => {
    expect((await patch('/fhir/Patient?identifier=urn:none|none', [{ op: 'add', path: '/active', value: true }])).status).toBe(404);
  });
});

describe('delete (http.html#delete)', () => {
  it('deletes: 204, then read is 410, search excludes it, a repeat delete is 204, history shows the deletion', async () => {
    const { id } = await createPatient({ identifier: [{ system: 'urn:test:del', value: 'D1' }] });
    const del = await t.http.delete(`/fhir/Patient/${id}`);
    expect(del.status).toBe(204);
    expect(del.headers.etag).toBe('W/"2"');
    const gone = await t.http.get(`/fhir/Patient/${id}`);
    expect(gone.status).toBe(410);
    expect(gone.body.resourceType).toBe('OperationOutcome');
    const search = await t.http.get('/fhir/Patient?identifier=urn:test:del|D1');
    expect(search.body.total).toBe(0);
    expect((await t.http.delete(`/fhir/Patient/${id}`)).status).toBe(204);
    const hist = await t.http.get(`/fhir/Patient/${id}/_history`);
    expect(hist.body.entry[0]).toEqual({
      fullUrl: `http://localhost:8080/fhir/Patient/${id}`,
      request: { method: 'DELETE', url: `Patient/${id}` },
      response: { status: '204', etag: 'W/"2"', lastModified: expect.any(String) },
    });
    expect(hist.body.entry[1].resource.id).toBe(id);
    expect((await t.http.get(`/fhir/Patient/${id}/_history/2`)).status).toBe(410);
    expect((await t.http.get(`/fhir/Patient/${id}/_history/1`)).status).toBe(200);
  });

  it('a deleted resource can be brought back by update (new version)', async () => {
    const { id } = await createPatient();
    await t.http.delete(`/fhir/Patient/${id}`);
    const back = await put(`/fhir/Patient/${id}`, { resourceType: 'Patient', id });
    expect(back.status).toBe(201);
    expect(back.body.meta.versionId).toBe('3');
  });

  it('an unknown resource is 404', async () => {
    expect((await t.http.delete('/fhir/Patient/never-was')).status).toBe(404);
  });

  it('conditional delete: one match deletes it, several are 412', async () => {
    const { id } = await createPatient({ identifier: [{ system: 'urn:test:cd', value: 'one' }] });
    expect((await t.http.delete('/fhir/Patient?identifier=urn:test:cd|one')).status).toBe(204);
    expect((await t.http.get(`/fhir/Patient/${id}`)).status).toBe(410);
    await createPatient({ identifier: [{ system: 'urn:test:cd', value: 'two' }] });
    await createPatient({ identifier: [{ system: 'urn:test:cd', value: 'two' }] });
    expect((await t.http.delete('/fhir/Patient?identifier=urn:test:cd|two')).status).toBe(412);
  });
});

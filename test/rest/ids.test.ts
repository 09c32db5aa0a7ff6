import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FHIR_JSON, startTestServer, type TestServer } from '../helpers/server';

/** Ids of dots only (`.`, `..`) are path segments, not ids: refused wherever an id comes in, nothing stored. */
let t: TestServer;
let port: number;
let listener: http.Server;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUDIT: 'off' });
  listener = t.server.app.listen(0);
  await new Promise((resolve) => listener.once('listening', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  await t.close();
});

/**
 * A request with its path sent exactly as written: HTTP clients (and WHATWG URLs, which
 * http.request uses for a URL string) resolve `..` segments before sending, which would hide what a
 * hostile client can send.
 */
function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = text ? { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(text) } : {};
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const patients = async () => (await t.http.get('/fhir/Patient?_summary=count')).body.total as number;
const errorCode = (res: { body: any }) => res.body?.issue?.[0]?.details?.coding?.[0]?.code;
const refusedId = (res: { status: number; body: any }) => [res.status, res.body?.resourceType, errorCode(res)];
const ID_REFUSED = [400, 'OperationOutcome', 'FHIR-0400-ID'];

describe('ids of dots only', () => {
  it('PUT /fhir/Patient/.. (raw, and percent-encoded) is 400 and stores nothing', async () => {
    const before = await patients();
    expect(refusedId(await raw('PUT', '/fhir/Patient/..', { resourceType: 'Patient', id: '..' }))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('PUT', '/fhir/Patient/%2E%2E', { resourceType: 'Patient', id: '..' }))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('PUT', '/fhir/Patient/.', { resourceType: 'Patient', id: '.' }))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('PUT', '/fhir/Patient/%2E%2E%2E', { resourceType: 'Patient', id: '...' }))).toEqual(ID_REFUSED);
    expect(await patients()).toBe(before);
  });

  it('GET, DELETE and history of /fhir/Patient/%2E%2E are 400', async () => {
    expect(refusedId(await raw('GET', '/fhir/Patient/%2E%2E'))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('GET', '/fhir/Patient/..'))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('DELETE', '/fhir/Patient/%2E'))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('GET', '/fhir/Patient/%2E%2E/_history'))).toEqual(ID_REFUSED);
    expect(refusedId(await raw('GET', '/fhir/Patient/%2E%2E/_history/1'))).toEqual(ID_REFUSED);
    // ids with dots and something else stay valid
    expect((await raw('GET', '/fhir/Patient/..a')).status).toBe(404);
  });

  it('a body id of dots only is refused on conditional update; search by _id refuses it too', async () => {
    const before = await patients();
    const res = await t.http.put('/fhir/Patient?identifier=urn:ids|none').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: '..' });
    expect(refusedId(res)).toEqual(ID_REFUSED);
    expect(await patients()).toBe(before);
    expect((await t.http.get('/fhir/Patient?_id=..')).status).toBe(400);
  });

  it('a transaction entry with such an id fails the whole transaction; a batch entry fails alone', async () => {
    const before = await patients();
    const tx = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR_JSON)
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', name: [{ family: 'Kept?' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', id: '..' }, request: { method: 'PUT', url: 'Patient/..' } },
        ],
      });
    expect(refusedId(tx)).toEqual(ID_REFUSED);
    expect(await patients()).toBe(before);

    const batch = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR_JSON)
      .send({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: { resourceType: 'Patient', id: '.' }, request: { method: 'PUT', url: 'Patient/%2E' } },
          { request: { method: 'GET', url: 'Patient/..' } },
          { resource: { resourceType: 'Patient', id: 'dots.and.more' }, request: { method: 'PUT', url: 'Patient/dots.and.more' } },
        ],
      });
    expect(batch.status).toBe(200);
    expect(batch.body.entry.map((e: any) => e.response.status)).toEqual(['400 Bad Request', '400 Bad Request', '201 Created']);
    expect(batch.body.entry[0].response.outcome.issue[0].details.coding[0].code).toBe('FHIR-0400-ID');
    expect(await patients()).toBe(before + 1);
  });
});

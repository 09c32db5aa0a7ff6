import { addPublicClient, startSmartServer } from './helpers';

/**
 * CORS preflights (OPTIONS) get a proper answer whatever the origin: 204 with Access-Control-Allow-*
 * for an origin the server allows (configured, or registered with a client), 204 without any CORS
 * header for one it does not; never 405.
 */
let t: Awaited<ReturnType<typeof startSmartServer>>;
beforeAll(async () => {
  t = await startSmartServer({ FHIR_CORS_ORIGINS: 'https://configured.example.org' });
  addPublicClient(t.auth, 'app', 'patient/*.rs', { origins: ['https://app.example.org'] });
});
afterAll(() => t.close());

function preflight(path: string, origin?: string) {
  const req = t.http.options(path).set('Access-Control-Request-Method', 'PUT').set('Access-Control-Request-Headers', 'authorization, content-type');
  return origin ? req.set('Origin', origin) : req;
}

const corsHeaders = (headers: Record<string, string>) => Object.keys(headers).filter((k) => k.startsWith('access-control-'));

describe('CORS preflight on the FHIR API', () => {
  it.each([
    ['a registered app origin', 'https://app.example.org'],
    ['a configured origin', 'https://configured.example.org'],
  ])('%s: 204 allowing the method, the headers and the origin', async (_what, origin) => {
    for (const path of ['/fhir/Patient', '/fhir/Patient/123', '/fhir/metadata', '/fhir']) {
      const res = await preflight(path, origin);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-methods']).toContain('PUT');
      expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type');
    }
  });

  it('an origin not allowed: 204 without any CORS header (the browser refuses the call)', async () => {
    const res = await preflight('/fhir/Patient', 'https://elsewhere.example.org');
    expect(res.status).toBe(204);
    expect(corsHeaders(res.headers)).toEqual([]);
    expect(res.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
  });

  it('OPTIONS without an Origin: 204 with Allow', async () => {
    const res = await t.http.options('/fhir/Patient/123');
    expect(res.status).toBe(204);
    expect(corsHeaders(res.headers)).toEqual([]);
    expect(res.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
  });

  it('the actual request from an allowed origin carries the CORS headers', async () => {
    const res = await t.http.get('/fhir/metadata').set('Origin', 'https://app.example.org');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(res.headers['access-control-expose-headers']).toContain('Location');
  });
});

describe('CORS preflight on the token endpoint', () => {
  it('an app origin: 204 allowing POST', async () => {
    const res = await t.http.options('/auth/token').set('Origin', 'https://app.example.org').set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.org');
    expect(res.headers['access-control-allow-methods']).toBe('POST');
  });

  it('another origin: an answer without CORS headers', async () => {
    const res = await t.http.options('/auth/token').set('Origin', 'https://elsewhere.example.org').set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBeLessThan(300);
    expect(corsHeaders(res.headers)).toEqual([]);
  });
});

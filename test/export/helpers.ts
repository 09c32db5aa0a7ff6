import type { TestServer } from '../helpers/server';

export const FHIR_JSON = 'application/fhir+json';
export const ASYNC = { Prefer: 'respond-async', Accept: 'application/fhir+json' };

/** The path (with query) of an absolute URL the server handed out. */
export const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

/** Reads a body of any media type as text. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const asText = (res: any, cb: (err: Error | null, body: string) => void) => {
  let d = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (d += c));
  res.on('end', () => cb(null, d));
};

export const ndjson = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { resourceType: string; id: string; [k: string]: unknown });

export async function put(t: TestServer, resource: { resourceType: string; id: string; [k: string]: unknown }, auth?: string) {
  const req = t.http.put(`/fhir/${resource.resourceType}/${resource.id}`).set('Content-Type', FHIR_JSON);
  if (auth) req.set('Authorization', auth);
  const res = await req.send(resource);
  if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs worker rounds until no job is left to claim. */
export async function drain(t: TestServer): Promise<void> {
  while (await t.server.exports.tick()) {
    /* next job */
  }
}

/** Polls a status URL, running the worker in between, until it answers something other than 202. */
export async function poll(t: TestServer, statusUrl: string, auth?: string) {
  for (let i = 0; i < 200; i++) {
    const req = t.http.get(pathOf(statusUrl));
    if (auth) req.set('Authorization', auth);
    const res = await req;
    if (res.status !== 202) return res;
    await t.server.exports.tick();
  }
  throw new Error('export did not finish');
}

/** Downloads every output file of a manifest; resources by type. */
export async function download(t: Pick<TestServer, 'http'>, manifest: { output: { type?: string; url: string; count: number }[] }, auth?: string) {
  const out: Record<string, { resourceType: string; id: string; [k: string]: unknown }[]> = {};
  for (const f of manifest.output) {
    const req = t.http.get(pathOf(f.url)).buffer(true).parse(asText);
    if (auth) req.set('Authorization', auth);
    const res = await req;
    if (res.status !== 200) throw new Error(`download ${f.url}: ${res.status}`);
    const lines = ndjson(res.body as string);
    if (lines.length !== f.count) throw new Error(`${f.url}: ${lines.length} lines, manifest says ${f.count}`);
    (out[f.type ?? '*'] ??= []).push(...lines);
  }
  return out;
}

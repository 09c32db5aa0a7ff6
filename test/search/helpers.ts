import { FHIR_JSON, type TestServer } from '../helpers/server';

/** Creates resources (PUT with the given ids, so tests can name them) and fails loudly on any error. */
export async function seed(t: TestServer, resources: Record<string, unknown>[]): Promise<void> {
  for (const r of resources) {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR_JSON).send(r);
    if (res.status !== 201 && res.status !== 200) throw new Error(`seeding ${r.resourceType}/${r.id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** A search as its Bundle, asserting 200. */
export async function search(t: TestServer, url: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await t.http.get(url).set(headers);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The ids of the matches of a search, following every next link, sorted (for set equality). */
export async function matchIds(t: TestServer, url: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next && pages++ < 200) {
    const bundle = await search(t, next);
    for (const e of bundle.entry ?? []) if (e.search?.mode === 'match') ids.push(e.resource.id);
    next = bundle.link?.find((l: any) => l.relation === 'next')?.url?.replace('http://localhost:8080', '');
  }
  return ids.sort();
}

/** The status and OperationOutcome of a search expected to fail. */
export async function searchError(t: TestServer, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await t.http.get(url).set(headers);
  return { status: res.status, body: res.body };
}

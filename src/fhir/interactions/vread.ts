import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { etag, versionHeaders } from '../util';
import { notFound } from './read';

/** vread: GET [base]/[type]/[id]/_history/[vid] (http.html#vread); each version is judged on its own content. */
export async function vread(ctx: RequestContext, _req: FhirRequest, type: string, id: string, vid: string): Promise<FhirResponse> {
  const version = await ctx.store.vread(type, id, vid);
  if (!version) {
    // unknown, or hidden (read throws the same 404), or known without that version
    if (!(await ctx.store.read(type, id))) throw notFound(type, id);
    throw new FhirError('not-found', 'FHIR-0404-VERSION', `${type}/${id} has no version ${vid}`);
  }
  if (version.deleted) {
    throw new FhirError('gone', 'FHIR-0410', `Version ${vid} of ${type}/${id} is a deletion`, { headers: { ETag: etag(version.versionId) } });
  }
  return { status: 200, json: version.json, headers: versionHeaders(version) };
}

import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { etag, versionHeaders } from '../util';
import { checkVisible, notFound } from './read';

/** vread: GET [base]/[type]/[id]/_history/[vid] (http.html#vread). */
export async function vread(ctx: RequestContext, _req: FhirRequest, type: string, id: string, vid: string): Promise<FhirResponse> {
  ctx.access.requireInteraction('r', type);
  const version = await ctx.store.readVersion(type, id, vid);
  if (!version) {
    const current = await ctx.store.readCurrent(type, id);
    if (!current) throw notFound(type, id);
    throw new FhirError('not-found', 'FHIR-0404-VERSION', `${type}/${id} has no version ${vid}`);
  }
  if (version.deleted) {
    throw new FhirError('gone', 'FHIR-0410', `Version ${vid} of ${type}/${id} is a deletion`, { headers: { ETag: etag(version.versionId) } });
  }
  checkVisible(ctx, version.json as string, type, id);
  return { status: 200, json: version.json, headers: versionHeaders(version) };
}

import { notFound } from '../../guard/guarded-store';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { etag, parseETag, versionHeaders } from '../util';

export { notFound };

/**
 * read: GET [base]/[type]/[id] (http.html#read), with If-None-Match and If-Modified-Since (304). The
 * guarded store answers what the grant does not cover as unknown, deleted or not (security.html).
 */
export async function read(ctx: RequestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const current = await ctx.store.read(type, id);
  if (!current) throw notFound(type, id);
  if (current.deleted) {
    throw new FhirError('gone', 'FHIR-0410', `${type}/${id} was deleted`, { headers: { ETag: etag(current.versionId) } });
  }
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === '*' || parseETag(t) === current.versionId)) {
    return { status: 304, headers: versionHeaders(current) };
  }
  const ims = req.headers['if-modified-since'];
  if (inm === undefined && ims !== undefined) {
    const since = Date.parse(ims);
    // HTTP dates have whole seconds: compare at that precision
    if (!Number.isNaN(since) && Math.floor(Date.parse(current.lastUpdated) / 1000) * 1000 <= since) {
      return { status: 304, headers: versionHeaders(current) };
    }
  }
  return { status: 200, json: current.json, headers: versionHeaders(current) };
}

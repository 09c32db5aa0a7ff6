import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { Resource } from '../types';
import { etag, parseETag, versionHeaders } from '../util';

/** read: GET [base]/[type]/[id] (http.html#read), with If-None-Match and If-Modified-Since (304). */
export async function read(ctx: RequestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  ctx.access.requireInteraction('r', type);
  const current = await ctx.store.readCurrent(type, id);
  if (!current) throw notFound(type, id);
  if (current.deleted) {
    throw new FhirError('gone', 'FHIR-0410', `${type}/${id} was deleted`, { headers: { ETag: etag(current.versionId) } });
  }
  checkVisible(ctx, current.json as string, type, id);
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

export function notFound(type: string, id: string): FhirError {
  return new FhirError('not-found', 'FHIR-0404', `${type}/${id} is not known`);
}

/** A resource the grants do not cover is answered as not found, so its existence is not revealed. */
export function checkVisible(ctx: RequestContext, json: string, type: string, id: string): void {
  if (ctx.access.unrestricted) return;
  try {
    ctx.access.checkResource('r', JSON.parse(json) as Resource);
  } catch (err) {
    if (err instanceof FhirError && err.category === 'forbidden') throw notFound(type, id);
    throw err;
  }
}

import type { HistoryQuery, VersionRecord } from '../../storage/port';
import { bundleJson, linkUrl, type RawEntry } from '../bundle';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { BundleLink } from '../types';
import { etag, queryValue } from '../util';
import { dateRange } from '../../search/dates';
import { parseCount } from '../../search/result-params';
import { notFound } from './read';

/**
 * history at instance, type and system level (http.html#history): newest first, deletes included.
 * The guarded store keeps the versions the grant covers, each judged on its own content; an instance
 * with none of them is unknown.
 */
export async function history(ctx: RequestContext, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
  const raw = queryValue(req.query, '_count');
  const count = raw === undefined ? ctx.config.defaultCount : parseCount(raw, ctx.config, 1);
  const query: HistoryQuery = { resourceType: type, id, count };
  const since = queryValue(req.query, '_since');
  if (since !== undefined) query.since = instantParam('_since', since);
  const at = queryValue(req.query, '_at');
  if (at !== undefined) {
    const range = dateRange(at);
    if (!range) throw new FhirError('invalid', 'FHIR-0400-AT', `_at must be a FHIR date or dateTime, got "${at}"`);
    query.at = new Date(Math.min(range[1] - 1, 8.64e15)).toISOString();
  }
  const cursor = queryValue(req.query, '_cursor');
  if (cursor !== undefined) {
    if (!/^\d{1,15}$/.test(cursor)) throw new FhirError('invalid', 'FHIR-0400-CURSOR', 'Invalid _cursor');
    query.beforeStoreVersion = Number(cursor);
  }

  const { records, next } = await ctx.store.history(query);
  if (type && id && records.length === 0 && query.beforeStoreVersion === undefined && !(await ctx.store.read(type, id))) throw notFound(type, id);
  const entries = records.map((r) => historyEntry(ctx, r));
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const kept = req.query.filter(([k]) => ['_count', '_since', '_at'].includes(k));
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(ctx.baseUrl, path, req.query.filter(([k]) => k !== '_format')) }];
  if (next !== undefined) link.push({ relation: 'next', url: linkUrl(ctx.baseUrl, path, [...kept, ['_cursor', String(next)]]) });
  const total = type && id ? await ctx.store.historyCount({ resourceType: type, id, since: query.since, at: query.at }) : undefined;
  return { status: 200, json: bundleJson({ type: 'history', total, link }, entries) };
}

function historyEntry(ctx: RequestContext, r: VersionRecord): RawEntry {
  const instanceUrl = `${r.resourceType}/${r.id}`;
  const status = r.deleted ? '204' : r.versionId === '1' ? '201' : '200';
  return {
    fullUrl: `${ctx.baseUrl}/${instanceUrl}`,
    resourceJson: r.json,
    request: { method: r.method === 'PATCH' ? 'PATCH' : r.method, url: r.method === 'POST' ? r.resourceType : instanceUrl },
    response: { status, etag: etag(r.versionId), lastModified: r.lastUpdated },
  };
}


/** An instant parameter (e.g. _since) normalised to the stored ISO form. */
function instantParam(name: string, raw: string): string {
  const range = dateRange(raw);
  if (!range) throw new FhirError('invalid', 'FHIR-0400-INSTANT', `${name} must be an instant such as 2026-01-01T00:00:00Z, got "${raw}"`);
  return new Date(Math.max(range[0], -8.64e15)).toISOString();
}

import type { HistoryQuery, VersionRecord } from '../../storage/port';
import { bundleJson, linkUrl, type RawEntry } from '../bundle';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { BundleLink, Resource } from '../types';
import { etag, queryValue } from '../util';
import { dateRange } from '../../search/dates';
import { checkVisible, notFound } from './read';

/** history at instance, type and system level (http.html#history): newest first, deletes included. */
export async function history(ctx: RequestContext, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
  if (type && id) {
    ctx.access.requireInteraction('r', type);
    const current = await ctx.store.readCurrent(type, id);
    if (!current) throw notFound(type, id);
    const visible = current.deleted ? await lastContent(ctx, type, id) : current;
    if (visible?.json) checkVisible(ctx, visible.json, type, id);
  } else if (type) {
    ctx.access.requireInteraction('s', type);
  }
  const count = parseCount(ctx, queryValue(req.query, '_count'));
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

  const records = await ctx.store.history(query);
  const entries = records.filter((r) => visibleVersion(ctx, r, type !== undefined && id !== undefined)).map((r) => historyEntry(ctx, r));
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const kept = req.query.filter(([k]) => ['_count', '_since', '_at'].includes(k));
  const link: BundleLink[] = [{ relation: 'self', url: linkUrl(ctx.baseUrl, path, req.query.filter(([k]) => k !== '_format')) }];
  if (records.length === count) {
    link.push({ relation: 'next', url: linkUrl(ctx.baseUrl, path, [...kept, ['_cursor', String(records[records.length - 1].storeVersion)]]) });
  }
  const total = type && id ? await ctx.store.historyCount({ resourceType: type, id, since: query.since, at: query.at }) : undefined;
  return { status: 200, json: bundleJson({ type: 'history', total, link }, entries) };
}

/** Type and system history pass each version through the gate; the instance was checked up front. */
function visibleVersion(ctx: RequestContext, r: VersionRecord, instanceChecked: boolean): boolean {
  if (instanceChecked) return true;
  try {
    ctx.access.requireInteraction('s', r.resourceType);
    if (r.json) ctx.access.checkResource('r', JSON.parse(r.json) as Resource);
    else if (ctx.access.searchRestriction(r.resourceType, 's') !== undefined) return false; // a tombstone reveals nothing to check
    return true;
  } catch (err) {
    if (err instanceof FhirError && err.category === 'forbidden') return false;
    throw err;
  }
}

async function lastContent(ctx: RequestContext, type: string, id: string): Promise<VersionRecord | undefined> {
  const versions = await ctx.store.history({ resourceType: type, id, count: 2 });
  return versions.find((v) => !v.deleted);
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

export function parseCount(ctx: RequestContext, raw: string | undefined): number {
  if (raw === undefined) return ctx.config.defaultCount;
  if (!/^\d{1,6}$/.test(raw)) throw new FhirError('invalid', 'FHIR-0400-COUNT', `_count must be a non-negative integer, got "${raw}"`);
  return Math.max(1, Math.min(Number(raw), ctx.config.maxCount));
}

/** An instant parameter (e.g. _since) normalised to the stored ISO form. */
function instantParam(name: string, raw: string): string {
  const range = dateRange(raw);
  if (!range) throw new FhirError('invalid', 'FHIR-0400-INSTANT', `${name} must be an instant such as 2026-01-01T00:00:00Z, got "${raw}"`);
  return new Date(Math.max(range[0], -8.64e15)).toISOString();
}

import type { BundleLink, OperationOutcome } from './types';

/** One Bundle entry whose resource is already JSON text (stored versions are sent without re-serialising). */
export interface RawEntry {
  fullUrl?: string;
  resourceJson?: string;
  search?: { mode: 'match' | 'include' | 'outcome'; score?: number };
  request?: { method: string; url: string };
  response?: { status: string; location?: string; etag?: string; lastModified?: string; outcome?: OperationOutcome };
}

/** Assembles a Bundle's JSON text from raw entries: the stored resource text is spliced in as it is. */
export function bundleJson(shell: { type: string; total?: number; link?: BundleLink[]; id?: string; timestamp?: string }, entries: RawEntry[]): string {
  const head: Record<string, unknown> = { resourceType: 'Bundle' };
  if (shell.id) head.id = shell.id;
  head.meta = { lastUpdated: shell.timestamp ?? new Date().toISOString() };
  head.type = shell.type;
  if (shell.timestamp) head.timestamp = shell.timestamp;
  if (shell.total !== undefined) head.total = shell.total;
  if (shell.link?.length) head.link = shell.link;
  const parts = entries.map((e) => {
    const fields: string[] = [];
    if (e.fullUrl !== undefined) fields.push(`"fullUrl":${JSON.stringify(e.fullUrl)}`);
    if (e.resourceJson !== undefined) fields.push(`"resource":${e.resourceJson}`);
    if (e.search) fields.push(`"search":${JSON.stringify(e.search)}`);
    if (e.request) fields.push(`"request":${JSON.stringify(e.request)}`);
    if (e.response) fields.push(`"response":${JSON.stringify(e.response)}`);
    return `{${fields.join(',')}}`;
  });
  const headJson = JSON.stringify(head);
  return parts.length ? `${headJson.slice(0, -1)},"entry":[${parts.join(',')}]}` : headJson;
}

/** Rebuilds a URL from the base, a path and query pairs (for self/next links). */
export function linkUrl(base: string, path: string, query: [string, string][]): string {
  const qs = new URLSearchParams(query).toString();
  return `${base}${path ? `/${path}` : ''}${qs ? `?${qs}` : ''}`;
}

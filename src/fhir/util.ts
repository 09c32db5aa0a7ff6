import { FhirError } from './errors';
import type { VersionRecord } from '../storage/port';

export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertValidId(id: string): void {
  if (!ID_RE.test(id)) {
    throw new FhirError('invalid', 'FHIR-0400-ID', `Invalid id "${truncate(id)}": ids match [A-Za-z0-9-.]{1,64}`);
  }
}

export function truncate(s: string, n = 80): string {
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > n ? `${clean.slice(0, n)}...` : clean;
}

export function etag(versionId: string): string {
  return `W/"${versionId}"`;
}

/** Parses `W/"3"` or `"3"` into "3"; undefined when the header is not an ETag. */
export function parseETag(header: string): string | undefined {
  const m = /^\s*(?:W\/)?"([^"]+)"\s*$/.exec(header);
  return m?.[1];
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** Headers every response about one version carries. */
export function versionHeaders(v: VersionRecord): Record<string, string> {
  return { ETag: etag(v.versionId), 'Last-Modified': httpDate(v.lastUpdated) };
}

export function queryValue(query: [string, string][], name: string): string | undefined {
  const hits = query.filter(([k]) => k === name);
  if (hits.length > 1) throw new FhirError('invalid', 'FHIR-0400-REPEAT', `Parameter ${name} may appear only once`);
  return hits[0]?.[1];
}

/** Parses the Prefer header's return preference. */
export function preferReturn(headers: Record<string, string | undefined>): 'minimal' | 'representation' | 'OperationOutcome' {
  const m = /(?:^|[;,\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?/.exec(headers['prefer'] ?? '');
  return (m?.[1] as 'minimal' | 'representation' | 'OperationOutcome' | undefined) ?? 'representation';
}

export function preferHandling(headers: Record<string, string | undefined>): 'strict' | 'lenient' {
  return /(?:^|[;,\s])handling\s*=\s*"?strict"?/.test(headers['prefer'] ?? '') ? 'strict' : 'lenient';
}

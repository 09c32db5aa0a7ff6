import { FhirError } from './errors';
import type { VersionRecord } from '../storage/port';

/**
 * The FHIR id datatype (datatypes.html#id), the one definition every check composes: 1 to 64 of
 * A-Z, a-z, 0-9, '-' and '.', and not dots only, since '.' and '..' are path segments that URLs
 * resolve away (`Patient/..` is the base), so such a resource could never be addressed. A source
 * fragment without anchors, to embed in larger patterns (`Type/id`, `_history/id`).
 */
export const ID_PATTERN = String.raw`(?!\.+(?![A-Za-z0-9\-.]))[A-Za-z0-9\-.]{1,64}`;
export const ID_RE = new RegExp(`^${ID_PATTERN}$`);

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

export function assertValidId(id: unknown): asserts id is string {
  if (!isValidId(id)) {
    const shown = typeof id === 'string' ? `"${truncate(id)}"` : String(id);
    throw new FhirError('invalid', 'FHIR-0400-ID', `Invalid id ${shown}: ids are 1-64 of [A-Za-z0-9-.], not dots only`);
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

import { FhirError } from '../fhir/errors';
import { parseJsonText } from '../fhir/json';

/** Media types the FHIR endpoint reads. */
export const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);
export const FORM_TYPE = 'application/x-www-form-urlencoded';
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ParsedBody {
  contentType?: string;
  body?: unknown;
}

/** Splits a Content-Type header into its media type and parameters. */
export function mediaType(header: string | undefined): { type?: string; params: Record<string, string> } {
  if (!header) return { params: {} };
  const [type, ...rest] = header.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const [k, v] = p.split('=');
    if (k && v) params[k.trim().toLowerCase()] = v.trim().replace(/^"|"$/g, '');
  }
  return { type: type.trim().toLowerCase(), params };
}

/**
 * Decodes a request body: strict UTF-8, JSON without Object.prototype member names as keys at any
 * depth and within a nesting limit (fhir/json.ts), or form parameters. Anything else is 415;
 * anything malformed is 400.
 */
export function parseBody(raw: Buffer | undefined, contentTypeHeader: string | undefined): ParsedBody {
  if (!raw || raw.length === 0) return {};
  const { type, params } = mediaType(contentTypeHeader);
  if (!type) throw new FhirError('unsupported-media-type', 'FHIR-0415', 'A request body needs a Content-Type such as application/fhir+json');
  if (params.fhirversion && !params.fhirversion.startsWith('4.0')) {
    throw new FhirError('unsupported-media-type', 'FHIR-0415-VERSION', `This server speaks FHIR 4.0, not fhirVersion=${params.fhirversion}`);
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new FhirError('invalid', 'FHIR-0400-UTF8', 'The body is not valid UTF-8');
  }
  if (type === FORM_TYPE) return { contentType: type, body: [...new URLSearchParams(text)] };
  if (!JSON_TYPES.has(type)) {
    throw new FhirError('unsupported-media-type', 'FHIR-0415', `Content-Type ${type} is not supported; send application/fhir+json`);
  }
  return { contentType: type, body: parseJsonText(text) };
}

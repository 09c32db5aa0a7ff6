import sjson from 'secure-json-parse';
import { FhirError } from '../fhir/errors';

/** Media types the FHIR endpoint reads. */
export const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);
export const FORM_TYPE = 'application/x-www-form-urlencoded';
const MAX_DEPTH = 128;
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
 * Decodes a request body: strict UTF-8, JSON without prototype keys and within a nesting limit,
 * or form parameters. Anything else is 415; anything malformed is 400.
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
  let body: unknown;
  try {
    body = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : 'forbidden property name (__proto__ or constructor.prototype)';
    throw new FhirError('invalid', 'FHIR-0400-JSON', `The body is not valid JSON: ${why}`, { code: 'structure' });
  }
  if (depthExceeds(body, MAX_DEPTH)) {
    throw new FhirError('invalid', 'FHIR-0400-DEPTH', `The body nests deeper than ${MAX_DEPTH} levels`, { code: 'structure' });
  }
  return { contentType: type, body };
}

function depthExceeds(value: unknown, max: number): boolean {
  // iterative, so a hostile depth cannot overflow the stack
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

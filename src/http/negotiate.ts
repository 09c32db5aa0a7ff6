import { FhirError } from '../fhir/errors';
import { mediaType } from './body';

const JSON_ACCEPTS = new Set(['application/fhir+json', 'application/json', 'application/*', '*/*', 'json', 'text/json']);
const FORMAT_ALIASES = new Set(['json', 'application/json', 'application/fhir+json']);

/**
 * Content negotiation (http.html#mime-type): this server answers in JSON only. `_format` overrides
 * Accept; a request for XML or anything else is 406.
 */
export function negotiate(accept: string | undefined, format: string | undefined): void {
  if (format !== undefined) {
    if (!FORMAT_ALIASES.has(format.trim().toLowerCase())) {
      throw new FhirError('not-acceptable', 'FHIR-0406', `_format "${format.slice(0, 40)}" is not supported; this server answers in JSON`);
    }
    return;
  }
  if (!accept) return;
  const ranges = accept.split(',').map((r) => mediaType(r));
  const ok = ranges.some(({ type, params }) => {
    if (!type || !JSON_ACCEPTS.has(type)) return false;
    if (params.q === '0') return false;
    return !params.fhirversion || params.fhirversion.startsWith('4.0');
  });
  if (!ok) throw new FhirError('not-acceptable', 'FHIR-0406', 'This server answers in application/fhir+json (FHIR 4.0) only');
}

import { FhirError } from '../fhir/errors';
import { truncate } from '../fhir/util';

/** A search the client got wrong: 400 with an OperationOutcome (search.html#errors). */
export function badSearch(errorCode: string, diagnostics: string): FhirError {
  return new FhirError('invalid', `FHIR-0400-${errorCode}`, diagnostics, { code: 'invalid' });
}

/** A parameter or modifier this server does not support: 400 under strict handling or always for modifiers. */
export function unsupported(errorCode: string, diagnostics: string): FhirError {
  return new FhirError('invalid', `FHIR-0400-${errorCode}`, diagnostics, { code: 'not-supported' });
}

export function show(s: string): string {
  return truncate(s, 60);
}

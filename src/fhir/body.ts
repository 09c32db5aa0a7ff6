import type { FhirRequest } from './context';
import { FhirError } from './errors';
import type { Resource } from './types';
import { truncate } from './util';

/** The request body as a resource of the URL's type (http.html#create, #update). */
export function resourceBody(req: FhirRequest, type: string): Resource {
  const body = req.body;
  if (body === undefined) throw new FhirError('invalid', 'FHIR-0400-BODY', 'A resource body is required');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FhirError('invalid', 'FHIR-0400-BODY', 'The body must be a JSON object holding a FHIR resource');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') {
    throw new FhirError('invalid', 'FHIR-0400-RESOURCETYPE', 'The body has no resourceType', { expression: 'resourceType' });
  }
  if (resourceType !== type) {
    throw new FhirError('invalid', 'FHIR-0400-RESOURCETYPE', `resourceType "${truncate(resourceType)}" does not match the URL's type ${type}`, {
      expression: 'resourceType',
    });
  }
  return body as Resource;
}

import { matchCriteria } from '../search/run';
import type { GuardedStore } from '../../guard/guarded-store';
import { resourceBody } from '../body';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { writeResponse } from '../respond';
import type { Resource } from '../types';
import { assertValidId, parseETag } from '../util';
import { prepareVersion, writeOne } from '../write';
import { createResource } from './create';

/** update: PUT [base]/[type]/[id] (http.html#update), update-as-create with the client's id (#upsert). */
export async function update(ctx: RequestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  ctx.store.authorize('u', type);
  const resource = resourceBody(req, type);
  if (resource.id === undefined) throw new FhirError('invalid', 'FHIR-0400-NOID', 'The resource in an update must have an id', { expression: 'id' });
  if (resource.id !== id) {
    throw new FhirError('invalid', 'FHIR-0400-IDMISMATCH', `The body's id "${resource.id}" does not match the URL's id "${id}"`, { expression: 'id' });
  }
  return ctx.store.transaction((session) => updateResource(ctx, req, session, resource, req.headers['if-match']));
}

/** Shared with patch and transaction entries: writes a new version of resource.id, honouring If-Match. */
export async function updateResource(
  ctx: RequestContext,
  req: FhirRequest,
  session: GuardedStore,
  resource: Resource,
  ifMatch: string | undefined,
  method: 'PUT' | 'PATCH' = 'PUT'
): Promise<FhirResponse> {
  const id = resource.id as string;
  assertValidId(id);
  // what the grant does not cover is 404 here, before any precondition can tell its version
  const current = await session.read(resource.resourceType, id, 'u');
  if (ifMatch !== undefined) {
    const expected = parseETag(ifMatch);
    if (!expected) throw new FhirError('invalid', 'FHIR-0400-IFMATCH', 'If-Match must be an ETag such as W/"1"');
    if (!current || current.deleted || current.versionId !== expected) {
      throw new FhirError('precondition-failed', 'FHIR-0412-VERSION', `${resource.resourceType}/${id} is not at version ${expected}`);
    }
  }
  const op = prepareVersion(ctx, resource, { id, previous: current, method });
  // the guarded store checks the old and the new content (SEC-09: no moving data between patients)
  const record = await writeOne(session, op, ifMatch !== undefined);
  return writeResponse(ctx, req, record, current && !current.deleted ? 200 : 201);
}

/** Conditional update: PUT [base]/[type]?criteria (http.html#cond-update). */
export async function conditionalUpdate(ctx: RequestContext, req: FhirRequest, type: string, criteria: string): Promise<FhirResponse> {
  ctx.store.authorize('u', type);
  const resource = resourceBody(req, type);
  return ctx.store.transaction(async (session) => {
    const matches = await matchCriteria(ctx, session, type, criteria);
    if (matches.length > 1) throw new FhirError('precondition-failed', 'FHIR-0412-MULTIPLE', `The criteria matched more than one ${type}`);
    if (matches.length === 1) {
      if (resource.id !== undefined && resource.id !== matches[0].id) {
        throw new FhirError('invalid', 'FHIR-0400-IDMISMATCH', `The body's id "${resource.id}" differs from the matched ${type}/${matches[0].id}`, {
          expression: 'id',
        });
      }
      resource.id = matches[0].id;
      return updateResource(ctx, req, session, resource, req.headers['if-match']);
    }
    if (resource.id !== undefined) return updateResource(ctx, req, session, resource, req.headers['if-match']);
    return createResource(ctx, req, session, resource, undefined);
  });
}

import { v7 as uuidv7 } from 'uuid';
import { matchCriteria } from '../search/run';
import type { GuardedStore } from '../../guard/guarded-store';
import { resourceBody } from '../body';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { writeResponse } from '../respond';
import { prepareVersion, writeOne } from '../write';
import type { Resource } from '../types';

/** create: POST [base]/[type] (http.html#create), conditional with If-None-Exist (http.html#ccreate). */
export async function create(ctx: RequestContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  ctx.store.authorize('c', type);
  const resource = resourceBody(req, type);
  return ctx.store.transaction((session) => createResource(ctx, req, session, resource, req.headers['if-none-exist'], req.assignedId));
}

/** Shared with conditional update and transaction entries: creates unless the condition finds a match. */
export async function createResource(
  ctx: RequestContext,
  req: FhirRequest,
  session: GuardedStore,
  resource: Resource,
  ifNoneExist: string | undefined,
  id: string | undefined = undefined
): Promise<FhirResponse> {
  if (ifNoneExist) {
    const matches = await matchCriteria(ctx, session, resource.resourceType, ifNoneExist);
    if (matches.length > 1) {
      throw new FhirError('precondition-failed', 'FHIR-0412-MULTIPLE', `If-None-Exist matched more than one ${resource.resourceType}`);
    }
    if (matches.length === 1) return writeResponse(ctx, req, matches[0], 200);
  }
  // the client's id and meta.versionId/lastUpdated are ignored on create (http.html#create)
  delete resource.id;
  const op = prepareVersion(ctx, resource, { id: id ?? uuidv7(), previous: undefined, method: 'POST' });
  const record = await writeOne(session, op, false);
  return writeResponse(ctx, req, record, 201);
}

import { matchCriteria } from '../search/run';
import type { GuardedStore } from '../../guard/guarded-store';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError, informationOutcome } from '../errors';
import { etag, preferReturn } from '../util';
import { prepareTombstone, writeOne } from '../write';
import { notFound } from './read';

/** delete: DELETE [base]/[type]/[id] (http.html#delete). Appends a tombstone version. */
export async function deleteInteraction(ctx: RequestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  ctx.store.authorize('d', type);
  return ctx.store.transaction((session) => deleteResource(ctx, req, session, type, id));
}

/** Shared with conditional delete and transaction entries. Deleting a deleted resource changes nothing. */
export async function deleteResource(
  ctx: RequestContext,
  req: FhirRequest,
  session: GuardedStore,
  type: string,
  id: string
): Promise<FhirResponse> {
  // someone else's record, deleted or not, is unknown (404), never "already deleted"
  const current = await session.read(type, id, 'd');
  if (!current) throw notFound(type, id);
  if (current.deleted) return deletedResponse(req, type, id, current.versionId);
  const record = await writeOne(session, prepareTombstone(ctx, current), false);
  return deletedResponse(req, type, id, record.versionId);
}

function deletedResponse(req: FhirRequest, type: string, id: string, versionId: string): FhirResponse {
  const headers = { ETag: etag(versionId) };
  if (preferReturn(req.headers) === 'OperationOutcome') {
    return { status: 200, headers, resource: informationOutcome(`Deleted ${type}/${id}`) };
  }
  return { status: 204, headers };
}

/** Conditional delete: DELETE [base]/[type]?criteria (http.html#cdelete); single match only. */
export async function conditionalDelete(ctx: RequestContext, req: FhirRequest, type: string, criteria: string): Promise<FhirResponse> {
  ctx.store.authorize('d', type);
  return ctx.store.transaction(async (session) => {
    const matches = await matchCriteria(ctx, session, type, criteria);
    if (matches.length > 1) {
      throw new FhirError('precondition-failed', 'FHIR-0412-MULTIPLE', `The criteria matched more than one ${type}; conditional delete deletes one`);
    }
    if (matches.length === 0) {
      return preferReturn(req.headers) === 'OperationOutcome'
        ? { status: 200, resource: informationOutcome(`No ${type} matched; nothing was deleted`) }
        : { status: 204 };
    }
    return deleteResource(ctx, req, session, type, matches[0].id);
  });
}

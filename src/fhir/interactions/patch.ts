import type { FhirPathPatch } from '@medplum/core';
import type { Operation } from 'rfc6902';
import { matchCriteria } from '../search/run';
import type { GuardedStore } from '../../guard/guarded-store';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { MAX_PATCH_OPERATIONS, patchBudget } from '../patch/budget';
import { applyFhirPathPatch, checkFhirPathPatch } from '../patch/fhirpath-patch';
import { applyJsonPatch, checkJsonPatch } from '../patch/json-patch';
import type { Parameters, Resource } from '../types';
import { notFound } from './read';
import { updateResource } from './update';

const JSON_PATCH = 'application/json-patch+json';

/** A patch document: JSON Patch (RFC 6902) or FHIRPath Patch (a Parameters resource, fhirpatch.html). */
export type PatchDocument = { kind: 'json'; ops: Operation[] } | { kind: 'fhirpath'; ops: FhirPathPatch[] };

/**
 * patch: PATCH [base]/[type]/[id] with a JSON Patch or FHIRPath Patch document (http.html#patch);
 * update semantics after. A document holds at most MAX_PATCH_OPERATIONS operations and may not make
 * the resource larger than the body limit, nor copy more than patchBudget allows: checked as it
 * applies, so a small patch that copies a subtree onto itself over and over is refused before it can
 * exhaust memory (422 too-costly).
 */
export async function patch(ctx: RequestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  ctx.store.authorize('u', type);
  const doc = patchDocument(req);
  return ctx.store.transaction((session) => patchResource(ctx, req, session, type, id, doc));
}

/** Conditional patch: PATCH [base]/[type]?criteria; no match is 404, several are 412. */
export async function conditionalPatch(ctx: RequestContext, req: FhirRequest, type: string, criteria: string): Promise<FhirResponse> {
  ctx.store.authorize('u', type);
  const doc = patchDocument(req);
  return ctx.store.transaction(async (session) => {
    const matches = await matchCriteria(ctx, session, type, criteria);
    if (matches.length === 0) throw new FhirError('not-found', 'FHIR-0404-CRITERIA', `No ${type} matched the criteria`);
    if (matches.length > 1) throw new FhirError('precondition-failed', 'FHIR-0412-MULTIPLE', `The criteria matched more than one ${type}`);
    return patchResource(ctx, req, session, type, matches[0].id, doc);
  });
}

export function patchDocument(req: FhirRequest): PatchDocument {
  if (req.contentType === 'application/fhir+json' || req.contentType === 'application/json') {
    const body = req.body as Parameters | undefined;
    if (body?.resourceType !== 'Parameters') {
      throw new FhirError('invalid', 'FHIR-0400-PATCH', 'A FHIRPath Patch body must be a Parameters resource');
    }
    return { kind: 'fhirpath', ops: checkFhirPathPatch(body, MAX_PATCH_OPERATIONS) };
  }
  if (req.contentType !== JSON_PATCH) {
    throw new FhirError(
      'unsupported-media-type',
      'FHIR-0415-PATCH',
      `PATCH needs Content-Type ${JSON_PATCH} (JSON Patch) or application/fhir+json (FHIRPath Patch Parameters)`
    );
  }
  return { kind: 'json', ops: checkJsonPatch(req.body, MAX_PATCH_OPERATIONS) };
}

export async function patchResource(
  ctx: RequestContext,
  req: FhirRequest,
  session: GuardedStore,
  type: string,
  id: string,
  doc: PatchDocument
): Promise<FhirResponse> {
  const current = await session.read(type, id, 'u');
  if (!current) throw notFound(type, id);
  if (current.deleted) throw new FhirError('gone', 'FHIR-0410', `${type}/${id} was deleted`);
  const json = current.json as string;
  const resource = JSON.parse(json) as Resource;
  const budget = patchBudget(json, resource, ctx.config.bodyLimit);
  if (doc.kind === 'fhirpath') applyFhirPathPatch(resource, doc.ops, budget);
  else applyJsonPatch(resource, doc.ops, budget);
  if (resource.resourceType !== type || resource.id !== id) {
    throw new FhirError('unprocessable', 'FHIR-0422-PATCH', 'A patch may not change resourceType or id');
  }
  return updateResource(ctx, req, session, resource, req.headers['if-match'], 'PATCH');
}

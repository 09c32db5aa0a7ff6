import { fhirpathPatchTypedValue, parseFhirPathPatchParameters, toTypedValue, type FhirPathPatch } from '@medplum/core';
import { applyPatch, type Operation } from 'rfc6902';
import { matchCriteria } from '../../search/run';
import type { StoreSession } from '../../storage/port';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import { PROTOTYPE_NAMES } from '../json';
import type { Parameters, Resource } from '../types';
import { notFound } from './read';
import { updateResource } from './update';

const JSON_PATCH = 'application/json-patch+json';
/** Pointers through Object.prototype members (`/constructor`, `/toString`...) or `prototype` are refused outright. */
const unsafePointer = (p: string) => p.split('/').some((t) => PROTOTYPE_NAMES.has(t) || t === 'prototype');

/** A patch document: JSON Patch (RFC 6902) or FHIRPath Patch (a Parameters resource, fhirpatch.html). */
export type PatchDocument = { kind: 'json'; ops: Operation[] } | { kind: 'fhirpath'; ops: FhirPathPatch[] };

/** patch: PATCH [base]/[type]/[id] with a JSON Patch or FHIRPath Patch document (http.html#patch); update semantics after. */
export async function patch(ctx: RequestContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  ctx.access.requireInteraction('u', type);
  const doc = patchDocument(req);
  return ctx.store.transaction((session) => patchResource(ctx, req, session, type, id, doc));
}

/** Conditional patch: PATCH [base]/[type]?criteria; no match is 404, several are 412. */
export async function conditionalPatch(ctx: RequestContext, req: FhirRequest, type: string, criteria: string): Promise<FhirResponse> {
  ctx.access.requireInteraction('u', type);
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
    try {
      return { kind: 'fhirpath', ops: parseFhirPathPatchParameters(body) };
    } catch (err) {
      throw new FhirError('invalid', 'FHIR-0400-PATCH', `Invalid FHIRPath Patch: ${(err as Error).message}`);
    }
  }
  if (req.contentType !== JSON_PATCH) {
    throw new FhirError(
      'unsupported-media-type',
      'FHIR-0415-PATCH',
      `PATCH needs Content-Type ${JSON_PATCH} (JSON Patch) or application/fhir+json (FHIRPath Patch Parameters)`
    );
  }
  const ops = req.body;
  const valid =
    Array.isArray(ops) &&
    ops.every(
      (o) =>
        typeof o === 'object' &&
        o !== null &&
        typeof o.path === 'string' &&
        !unsafePointer(o.path) &&
        (o.from === undefined || (typeof o.from === 'string' && !unsafePointer(o.from))) &&
        ['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(o.op) &&
        (!['move', 'copy'].includes(o.op) || typeof o.from === 'string') &&
        (!['add', 'replace', 'test'].includes(o.op) || 'value' in o)
    );
  if (!valid) throw new FhirError('invalid', 'FHIR-0400-PATCH', 'The body must be a JSON Patch document: an array of operations');
  return { kind: 'json', ops: ops as Operation[] };
}

export async function patchResource(
  ctx: RequestContext,
  req: FhirRequest,
  session: StoreSession,
  type: string,
  id: string,
  doc: PatchDocument
): Promise<FhirResponse> {
  const current = await session.readCurrent(type, id);
  if (!current) throw notFound(type, id);
  if (current.deleted) throw new FhirError('gone', 'FHIR-0410', `${type}/${id} was deleted`);
  const resource = JSON.parse(current.json as string) as Resource;
  applyDocument(resource, doc);
  if (resource.resourceType !== type || resource.id !== id) {
    throw new FhirError('unprocessable', 'FHIR-0422-PATCH', 'A patch may not change resourceType or id');
  }
  return updateResource(ctx, req, session, resource, req.headers['if-match'], 'PATCH');
}

function applyDocument(resource: Resource, doc: PatchDocument): void {
  if (doc.kind === 'fhirpath') {
    try {
      fhirpathPatchTypedValue(toTypedValue(resource), doc.ops);
    } catch (err) {
      throw new FhirError('unprocessable', 'FHIR-0422-PATCH', `FHIRPath Patch failed: ${(err as Error).message}`);
    }
    return;
  }
  const results = applyPatch(resource, doc.ops);
  const failed = results.findIndex((r) => r !== null);
  if (failed >= 0) {
    const op = doc.ops[failed];
    throw new FhirError('unprocessable', 'FHIR-0422-PATCH', `Patch operation ${failed} (${op.op} ${op.path}) failed: ${String(results[failed]?.name ?? 'error')}`);
  }
}

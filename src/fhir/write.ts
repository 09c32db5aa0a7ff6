import { extractIndexRows } from '../search/extract';
import type { VersionRecord, WriteOp } from '../storage/port';
import { VersionConflictError } from '../storage/port';
import { patientCompartments } from './compartments';
import type { WriteContext } from './context';
import { FhirError } from './errors';
import { assertJsonShape } from './json';
import type { Resource } from './types';

/**
 * Turns a resource into the version to append: sets id and meta, runs the beforeStore hooks
 * (validation among them), extracts index rows and compartments once, serialises once. Whatever the
 * resource came from (a body, a patch, a file), it is refused here if it nests too deep or has an
 * Object.prototype member as an element name (fhir/json.ts).
 */
export function prepareVersion(
  ctx: WriteContext,
  resource: Resource,
  target: { id: string; previous: Pick<VersionRecord, 'versionId' | 'deleted'> | undefined; method: WriteOp['method'] }
): WriteOp {
  assertJsonShape(resource);
  const versionId = String(target.previous ? Number(target.previous.versionId) + 1 : 1);
  const lastUpdated = ctx.now().toISOString();
  // id and meta first, as FHIR servers conventionally order them
  const { resourceType, id: _ignored, meta, ...rest } = resource;
  resource = { resourceType, id: target.id, meta: { ...meta, versionId, lastUpdated }, ...rest } as Resource;
  for (const hook of ctx.hooks.beforeStore) hook(ctx, resource);
  const index = extractIndexRows(ctx.registry, resource, ctx.config.baseUrl);
  return {
    resourceType: resource.resourceType,
    id: target.id,
    versionId,
    lastUpdated,
    deleted: false,
    method: target.method,
    json: JSON.stringify(resource),
    index,
    compartments: patientCompartments(ctx.registry, resource, index),
    expectedVersionId: target.previous && !target.previous.deleted ? target.previous.versionId : null,
  };
}

export function prepareTombstone(ctx: Pick<WriteContext, 'now'>, previous: VersionRecord): WriteOp {
  return {
    resourceType: previous.resourceType,
    id: previous.id,
    versionId: String(Number(previous.versionId) + 1),
    lastUpdated: ctx.now().toISOString(),
    deleted: true,
    method: 'DELETE',
    index: [],
    compartments: [],
    expectedVersionId: previous.versionId,
  };
}

/** Appends one version, turning a lost race into 412 (or 409 when no precondition was given). */
export async function writeOne(session: { write(ops: WriteOp[]): Promise<VersionRecord[]> }, op: WriteOp, hadPrecondition: boolean): Promise<VersionRecord> {
  try {
    const [record] = await session.write([op]);
    return record;
  } catch (err) {
    if (err instanceof VersionConflictError) {
      throw new FhirError(
        hadPrecondition ? 'precondition-failed' : 'conflict',
        'FHIR-0409-VERSION',
        `${op.resourceType}/${op.id} was changed by another request`
      );
    }
    throw err;
  }
}

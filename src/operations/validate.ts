import type { FhirRequest, FhirResponse, RequestContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import type { OperationOutcome, Parameters, Resource } from '../fhir/types';
import { notFound } from '../fhir/interactions/read';
import { validate } from '../validation/validate';
import type { OperationHandler } from './registry';

/**
 * $validate (http://hl7.org/fhir/OperationDefinition/Resource-validate) at type and instance level:
 * the resource in the body (directly or as the `resource` parameter), with `mode` and `profile`.
 * It answers 200 with an OperationOutcome whether or not the resource is valid.
 */
export const validateOperation: OperationHandler = {
  code: 'validate',
  definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
  resourceTypes: '*',
  type: true,
  instance: true,
  affectsState: false,
  async handle(ctx, req, target) {
    const type = target.resourceType as string;
    const { resource, mode, profile } = await validateInput(ctx, req, type, target.id);
    const profileSd = profile ? ctx.registry.profile(profile) : undefined;
    if (profile && !profileSd) {
      throw new FhirError('invalid', 'FHIR-0400-PROFILE', `Profile ${profile} is not known to this server`, { code: 'not-supported' });
    }
    let issues: OperationOutcome['issue'] = [];
    if (mode !== 'delete') {
      if (!resource) throw new FhirError('invalid', 'FHIR-0400-BODY', '$validate needs a resource to validate');
      if (resource.resourceType !== type) {
        throw new FhirError('invalid', 'FHIR-0400-RESOURCETYPE', `The resource is a ${String(resource.resourceType)}, not a ${type}`);
      }
      if (mode === 'update' && !resource.id) {
        issues.push({ severity: 'error', code: 'required', diagnostics: 'An update needs the resource id', expression: [`${type}.id`] });
      }
      if (mode === 'update' && target.id && resource.id !== target.id) {
        issues.push({ severity: 'error', code: 'invariant', diagnostics: `The id must be ${target.id}`, expression: [`${type}.id`] });
      }
      if (profileSd && profileSd.type !== type) {
        issues.push({ severity: 'error', code: 'invalid', diagnostics: `Profile ${profile} constrains ${profileSd.type}, not ${type}`, expression: [type] });
      } else {
        // the base definition is what every resource is validated against anyway
        const against = profileSd && !ctx.registry.isBaseDefinition(profileSd) ? profileSd : undefined;
        issues = [...issues, ...validate(resource, against)];
      }
      issues = issues.map((i) => ({ ...i, diagnostics: i.diagnostics ?? i.details?.text }));
    }
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      issue: issues.length ? issues : [{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }],
    };
    return { status: 200, resource: outcome } satisfies FhirResponse;
  },
};

async function validateInput(
  ctx: RequestContext,
  req: FhirRequest,
  type: string,
  id: string | undefined
): Promise<{ resource?: Resource; mode?: string; profile?: string }> {
  const mode = req.query.find(([k]) => k === 'mode')?.[1];
  let profile = req.query.find(([k]) => k === 'profile')?.[1];
  let resource: Resource | undefined;
  const body = req.body as Resource | undefined;
  let bodyMode: string | undefined;
  if (body?.resourceType === 'Parameters') {
    const params = (body as Parameters).parameter ?? [];
    resource = params.find((p) => p.name === 'resource')?.resource;
    bodyMode = params.find((p) => p.name === 'mode')?.valueCode;
    profile = params.find((p) => p.name === 'profile')?.valueUri ?? params.find((p) => p.name === 'profile')?.valueCanonical ?? profile;
  } else if (body && typeof body === 'object') {
    resource = body;
  }
  const effectiveMode = bodyMode ?? mode;
  if (effectiveMode && !['create', 'update', 'delete'].includes(effectiveMode)) {
    throw new FhirError('invalid', 'FHIR-0400-MODE', `mode must be create, update or delete, got "${effectiveMode.slice(0, 20)}"`);
  }
  if (!resource && id && effectiveMode !== 'delete') {
    const current = await ctx.store.read(type, id);
    if (!current || current.deleted) throw notFound(type, id);
    resource = JSON.parse(current.json as string) as Resource;
  }
  return { resource, mode: effectiveMode, profile };
}

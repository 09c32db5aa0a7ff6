import { indexSearchParameter } from '@medplum/core';
import type { Logger } from 'pino';
import { upsertResources } from '../bulk/loader';
import type { ServerContext, WriteContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import type { Resource } from '../fhir/types';
import { GuardedStore } from '../guard/guarded-store';
import type { Store } from '../storage/port';
import { addTerminology } from '../search/terminology';
import { validateOrThrow } from '../validation/validate';
import { loadImplementationGuide, PROFILES_DIR } from './ig';
import type { DefinitionRegistry } from './registry';

/**
 * Loads the implementation guide at start: its profiles and terminology into the validator, its SearchParameters into
 * the registry (searchable and indexed from then on), and its conformance resources into the store
 * (served at /fhir/StructureDefinition, /fhir/ValueSet...; written again only when they changed).
 */
export async function installImplementationGuide(ctx: ServerContext, raw: Store, log: Logger, dir = PROFILES_DIR): Promise<void> {
  const ig = loadImplementationGuide(dir);
  addGuideDefinitions(ctx.registry, ig);
  const conformance: Resource[] = [...ig.structureDefinitions, ...ig.searchParameters, ...ig.valueSets, ...ig.codeSystems, ...ig.operationDefinitions];
  const store = GuardedStore.system({ main: raw }, 'guide-install', ctx);
  const result = await upsertResources({ ...ctx, requestId: 'startup', store, log }, conformance);
  if (result.refused.length) log.error({ refused: result.refused }, 'some conformance resources of the implementation guide could not be stored');
  log.info({ profiles: ig.structureDefinitions.length, searchParameters: ig.searchParameters.length, written: result.written }, 'implementation guide loaded');
}

/** The guide's profiles, terminology and SearchParameters into the registry (validation and indexing use them). */
export function addGuideDefinitions(registry: DefinitionRegistry, ig: ReturnType<typeof loadImplementationGuide>): void {
  registry.profiles.add(ig.structureDefinitions);
  addTerminology([...ig.valueSets, ...ig.codeSystems]);
  for (const sp of ig.searchParameters) {
    registry.addSearchParameter(sp);
    indexSearchParameter(sp);
  }
}

/**
 * Validation on write: the base definitions always; every profile the resource claims that the server
 * knows; and the profiles the configuration makes mandatory for its type (one of them must be claimed).
 */
export function profileValidationHook(required: Record<string, string[]>) {
  return (ctx: WriteContext, resource: Resource): void => {
    const claimed = resource.meta?.profile ?? [];
    const mandatory = required[resource.resourceType];
    if (mandatory?.length && !claimed.some((p) => mandatory.includes(p.split('|')[0]))) {
      throw new FhirError('unprocessable', 'FHIR-0422-PROFILE', `A ${resource.resourceType} must claim one of these profiles in meta.profile: ${mandatory.join(', ')}`, {
        expression: `${resource.resourceType}.meta.profile`,
      });
    }
    const known = claimed.map((url) => ctx.registry.profiles.get(url)).filter((sd) => sd !== undefined);
    if (known.length === 0) validateOrThrow(resource);
    for (const sd of known) validateOrThrow(resource, sd);
  };
}

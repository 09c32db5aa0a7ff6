import { isDataTypeLoaded, OperationOutcomeError, parseFhirPath, parseStructureDefinition } from '@medplum/core';
import type { Logger } from 'pino';
import type { ServerContext, WriteContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import type { CodeSystem, Resource, StructureDefinition, ValueSet } from '../fhir/types';
import { GuardedStore } from '../guard/guarded-store';
import { executeSearch } from '../fhir/search/run';
import { addTerminology } from '../search/terminology';
import type { Store, WriteOp } from '../storage/port';
import { runValidator } from '../validation/validate';
import type { DefinitionRegistry } from './registry';

/**
 * Profiles and terminology stored through the API take effect at once (as on HAPI), so a tester can
 * load a profile and validate against it: a StructureDefinition that constrains a resource or datatype
 * is checked before it is stored (422 if the validator could not use it) and handed to the validator
 * once its write has committed; ValueSets and CodeSystems join the local terminology that required
 * bindings and `:in` expand. Start-up loads the stored ones again (the guide's own URLs come from
 * profiles/). Definitions in the specification's namespaces are stored but never replace the
 * specification's. Another process serving the same store sees a change at its next start.
 */

/** Canonical URLs under which the specification's own definitions live: never replaced from the API. */
const SPEC_NAMESPACES = ['http://hl7.org/fhir/', 'http://terminology.hl7.org/'];

const TYPES = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem']);

function inSpecNamespace(url: string | undefined): boolean {
  return !url || SPEC_NAMESPACES.some((ns) => url.startsWith(ns));
}

/** Whether a StructureDefinition is a profile the validator should take (a constraint outside the spec's namespace). */
function isProfile(sd: StructureDefinition): boolean {
  return sd.derivation === 'constraint' && !inSpecNamespace(sd.url);
}

/** Why the validator could not use this profile, or undefined when it can. */
export function profileProblem(registry: DefinitionRegistry, sd: StructureDefinition): string | undefined {
  if (!sd.name) return 'the profile needs a name';
  if (sd.kind !== 'resource' && sd.kind !== 'complex-type') return `a profile of kind ${String(sd.kind)} cannot be used for validation (resource or complex-type)`;
  if (sd.kind === 'resource' ? !registry.isResourceType(sd.type) : !isDataTypeLoaded(sd.type)) return `type ${String(sd.type)} is not a FHIR R4 ${sd.kind === 'resource' ? 'resource type' : 'datatype'}`;
  const elements = sd.snapshot?.element ?? [];
  if (elements.length === 0) return 'the profile needs a snapshot (the validator reads the snapshot, not the differential)';
  if (elements[0].path !== sd.type) return `the snapshot's first element must be ${sd.type}, not ${String(elements[0].path)}`;
  for (const [i, e] of elements.entries()) {
    if (!e.path?.startsWith(sd.type)) return `snapshot.element[${i}].path ${String(e.path)} is not under ${sd.type}`;
    const unknown = (e.type ?? []).find((t) => !t.code || !(t.code.startsWith('http://hl7.org/fhirpath/System.') || isDataTypeLoaded(t.code)));
    if (unknown) return `${e.path} has type ${String(unknown.code)}, which is not a FHIR R4 type`;
    for (const c of e.constraint ?? []) {
      try {
        if (c.expression) parseFhirPath(c.expression);
      } catch (err) {
        return `the invariant ${String(c.key)} on ${e.path} is not valid FHIRPath: ${(err as Error).message}`;
      }
    }
  }
  try {
    parseStructureDefinition(sd);
    // a trial run: a profile that makes the validator fail rather than report must not be taken
    if (sd.kind === 'resource') runValidator({ resourceType: sd.type } as Resource, sd, {});
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) return `the validator cannot use it: ${(err as Error).message}`;
  }
  return undefined;
}

/** beforeStore: a profile the validator could not use is refused (422), so it cannot break validation. */
export function storedProfileCheck(ctx: WriteContext, resource: Resource): void {
  if (resource.resourceType !== 'StructureDefinition') return;
  const sd = resource as StructureDefinition;
  if (!isProfile(sd)) return;
  const problem = profileProblem(ctx.registry, sd);
  if (problem) throw new FhirError('unprocessable', 'FHIR-0422-PROFILE-DEFINITION', `StructureDefinition ${sd.url}: ${problem}`, { expression: 'StructureDefinition' });
}

/** afterCommit: the committed StructureDefinitions, ValueSets and CodeSystems into the validator and the terminology. */
export function storedDefinitionsApplier(registry: DefinitionRegistry, log?: Logger) {
  return (written: readonly WriteOp[]): void => {
    const relevant = written.filter((op) => TYPES.has(op.resourceType));
    if (relevant.length === 0) return;
    try {
      apply(
        registry,
        relevant.filter((op) => !op.deleted && op.json).map((op) => JSON.parse(op.json as string) as Resource),
        relevant.filter((op) => op.deleted && op.resourceType === 'StructureDefinition').map((op) => op.id)
      );
    } catch (err) {
      log?.error({ err }, 'stored definitions could not be applied');
    }
  };
}

function apply(registry: DefinitionRegistry, resources: Resource[], deletedProfiles: string[] = []): void {
  for (const id of deletedProfiles) registry.profiles.removeStored(id);
  const profiles = resources.filter((r): r is StructureDefinition => r.resourceType === 'StructureDefinition' && isProfile(r as StructureDefinition));
  registry.profiles.putStored(profiles);
  const terminology = resources.filter((r): r is ValueSet | CodeSystem => (r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem') && !inSpecNamespace((r as ValueSet).url));
  if (terminology.length) addTerminology(terminology);
}

/**
 * At start, after the guide: the profiles and terminology stored through the API before. The guide's
 * URLs are the guide's; a stored profile that no longer passes the check is left out and logged.
 */
export async function loadStoredDefinitions(ctx: ServerContext, raw: Store, log: Logger): Promise<void> {
  const store = GuardedStore.system({ main: raw }, 'stored-definitions', ctx);
  const found: Resource[] = [];
  let cursor: string | undefined;
  do {
    const page = await executeSearch(store, { resourceTypes: [...TYPES], where: [], count: 500, cursor, total: 'none', sort: [] });
    for (const r of page.records) if (r.json) found.push(JSON.parse(r.json) as Resource);
    cursor = page.next;
  } while (cursor);
  const usable = found.filter((r) => {
    if (r.resourceType !== 'StructureDefinition') return true;
    const sd = r as StructureDefinition;
    if (!isProfile(sd) || ctx.registry.profiles.isGuide(sd.url as string)) return false;
    const problem = profileProblem(ctx.registry, sd);
    if (problem) log.warn({ id: sd.id, url: sd.url, problem }, 'a stored profile is not used');
    return !problem;
  });
  // the guide's own ValueSets and CodeSystems are among them (installed into the store): adding them again changes nothing
  apply(ctx.registry, usable);
  log.info({ definitions: usable.length }, 'stored profiles and terminology loaded');
}

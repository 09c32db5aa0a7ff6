import type { TypedValueWithPath } from '@medplum/core';
import type { CodeableConcept, Coding, OperationOutcomeIssue } from '../fhir/types';
import { expandKnownValueSet, type SystemCode } from '../search/terminology';

/**
 * Required bindings (Patient.gender, Observation.status, a profile's binding on a CodeableConcept...),
 * checked where the ValueSet expands without a terminology server: the specification's and the
 * guide's own. @medplum/core's validator collects the values of each required binding but leaves the
 * check to a terminology service; this closes the part that needs none.
 */
const expanded = new WeakMap<SystemCode[], Set<string>>();

/** `system|code` and bare `code` keys of a locally expandable ValueSet, or null when it cannot be expanded here. */
function members(url: string): Set<string> | null {
  const expansion = expandKnownValueSet(url);
  if (!expansion) return null;
  let keys = expanded.get(expansion);
  if (!keys) {
    keys = new Set(expansion.flatMap((c) => [`${c.system}|${c.code}`, c.code]));
    expanded.set(expansion, keys);
  }
  return keys;
}

/** The codes of a locally expandable ValueSet, or null when it cannot be expanded here. */
export function expandLocally(url: string): Set<string> | null {
  const expansion = expandKnownValueSet(url);
  return expansion ? new Set(expansion.map((c) => c.code)) : null;
}

/** Issues for bound values (by ValueSet URL, as the validator collects them) outside their required ValueSet. */
export function checkRequiredBindings(bound: Record<string, TypedValueWithPath[]>): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  for (const [valueSet, values] of Object.entries(bound)) {
    const keys = members(valueSet);
    if (!keys) continue;
    const url = valueSet.split('|')[0];
    for (const { type, value, path } of values) {
      const codings = codingsOf(type, value);
      // A CodeableConcept with text only carries no code to check.
      if (!codings?.length || codings.some((c) => c.code !== undefined && keys.has(c.system ? `${c.system}|${c.code}` : c.code))) continue;
      const shown = codings.map((c) => (c.system ? `${c.system}#${c.code}` : String(c.code)).slice(0, 128)).join(', ');
      issues.push({ severity: 'error', code: 'code-invalid', details: { text: `Value "${shown}" is not in the required ValueSet ${url}` }, expression: [path] });
    }
  }
  return issues;
}

function codingsOf(type: string, value: unknown): Coding[] | undefined {
  if (type === 'code') return typeof value === 'string' ? [{ code: value }] : undefined;
  if (type === 'Coding') return [value as Coding];
  if (type === 'CodeableConcept') return (value as CodeableConcept).coding;
  return undefined;
}

import { getDataType, type InternalSchemaElement } from '@medplum/core';
import type { SearchParamEntry } from '../definitions/registry';
import { singleSystem } from './terminology';

/* What the element definitions say about a parameter whose expression is a plain `Type.element`. */

const elements = new Map<string, InternalSchemaElement | null>();

function simpleElement(resourceType: string, param: SearchParamEntry): InternalSchemaElement | undefined {
  const key = `${resourceType}.${param.code}`;
  let hit = elements.get(key);
  if (hit === undefined) {
    hit = null;
    const m = /^([A-Za-z]+)\.([a-z][A-Za-z]*)$/.exec(param.expressionText ?? '');
    if (m && m[1] === resourceType) {
      try {
        hit = getDataType(resourceType).elements[m[2]] ?? null;
      } catch {
        hit = null;
      }
    }
    elements.set(key, hit);
  }
  return hit ?? undefined;
}

const systems = new Map<string, string | null>();

/**
 * The CodeSystem of a `code` element bound (required) to a ValueSet drawing from one CodeSystem, so
 * `gender=http://hl7.org/fhir/administrative-gender|male` matches.
 */
export function implicitSystem(resourceType: string, param: SearchParamEntry): string | undefined {
  const key = `${resourceType}.${param.code}`;
  let hit = systems.get(key);
  if (hit === undefined) {
    const element = simpleElement(resourceType, param);
    const vs = element?.binding?.strength === 'required' ? element.binding.valueSet : undefined;
    hit = vs ? (singleSystem(vs) ?? null) : null;
    systems.set(key, hit);
  }
  return hit ?? undefined;
}

/**
 * Whether the parameter indexes an Identifier element: one value names one or a few resources, where
 * a code (a LOINC code, a status) is shared by many; the plan marks such terms, so they drive before codes.
 */
export function isIdentifierElement(resourceType: string, param: SearchParamEntry): boolean {
  const element = simpleElement(resourceType, param);
  return element?.type.length === 1 && element.type[0].code === 'Identifier';
}

/**
 * Whether the parameter's values come from a small closed set (a status `code` bound to a required
 * ValueSet, a boolean), so one value matches a large share of the resources: the plan marks such
 * terms broad, and an adapter does not let them drive a query.
 */
export function isLowCardinality(resourceType: string, param: SearchParamEntry): boolean {
  const element = simpleElement(resourceType, param);
  if (!element || element.type.length !== 1) return false;
  const code = element.type[0].code;
  return code === 'boolean' || (code === 'code' && element.binding?.strength === 'required');
}

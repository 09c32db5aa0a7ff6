import { getElementDefinition, isEmpty, type FhirPathAtom, type TypedValue } from '@medplum/core';

/**
 * Most SearchParameter expressions are plain paths (`Observation.code`, `Resource.meta.lastUpdated`,
 * `Claim.item.encounter`): a chain of elements that each have one type. For those the type of every
 * step is known from the definitions, and walking the JSON gives what @medplum/core's FHIRPath
 * evaluation gives (the same values, types and order) at a fraction of its cost, since the
 * evaluator looks each property up in the schema again on every resource.
 *
 * A value with a primitive extension (`_status`) is left to the evaluator, which merges the two.
 */
export interface SimplePath {
  readonly steps: readonly { readonly name: string; readonly type: string }[];
}

const PLAIN_PATH = /^([A-Z][A-Za-z]*)((?:\.[a-z][A-Za-z]*)+)$/;

/** The plain path an expression is, or undefined when it is anything else (functions, unions, choices...). */
export function compileSimplePath(resourceType: string, expression: FhirPathAtom): SimplePath | undefined {
  const m = PLAIN_PATH.exec(expression.toString());
  if (!m || m[1] !== resourceType) return undefined;
  const steps: { name: string; type: string }[] = [];
  let type = resourceType;
  for (const name of m[2].slice(1).split('.')) {
    const element = getElementDefinition(type, name);
    // only an element of exactly this name and one concrete type: a choice ([x]) or a contained
    // Resource takes its type from the value
    if (!element || element.type.length !== 1 || !element.path.endsWith(`.${name}`)) return undefined;
    type = element.type[0].code;
    if (!type || type === 'Resource' || type === 'Element' || type === 'BackboneElement') return undefined;
    steps.push({ name, type });
  }
  return { steps };
}

/** The path's values in the resource, or undefined where the evaluator must decide (a primitive extension). */
export function evalSimplePath(path: SimplePath, resource: object): TypedValue[] | undefined {
  let current: unknown[] = [resource];
  let out: TypedValue[] = [];
  for (let i = 0; i < path.steps.length; i++) {
    const { name, type } = path.steps[i];
    const last = i === path.steps.length - 1;
    const next: unknown[] = [];
    out = [];
    for (const parent of current) {
      if (!parent || typeof parent !== 'object') continue;
      const record = parent as Record<string, unknown>;
      if (record[`_${name}`] !== undefined) return undefined;
      const value = record[name];
      if (isEmpty(value)) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item === undefined) continue;
        if (last) out.push({ type, value: (item as { valueOf(): unknown } | null)?.valueOf() });
        else next.push(item);
      }
    }
    current = next;
  }
  return out;
}

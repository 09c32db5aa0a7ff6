import { fhirpathPatchTypedValue, parseFhirPathPatchParameters, toTypedValue, type FhirPathPatch } from '@medplum/core';
import { FhirError } from '../errors';
import { PROTOTYPE_NAMES } from '../json';
import type { Parameters, Resource } from '../types';
import { measure, tooCostly, type PatchBudget } from './budget';

const MAX_PATH_LENGTH = 1024;

/**
 * The FHIRPath functions a patch path may call: navigation and filters, which never yield more
 * items than the resource has. Functions that build collections (`select`, `repeat`, `combine`,
 * `descendants`, `children`, `aggregate`, ...), unions (`|`) and variables (`%resource`) are
 * refused: `name.select($this.combine($this))` repeated doubles the collection at every step, so a
 * path of a few hundred characters could otherwise keep the server busy for hours.
 */
const PATH_FUNCTIONS = new Set([
  'where', 'exists', 'empty', 'not', 'first', 'last', 'single', 'tail', 'skip', 'take', 'ofType', 'is', 'as',
  'hasValue', 'extension', 'count', 'all', 'allTrue', 'anyTrue', 'allFalse', 'anyFalse',
  'startsWith', 'endsWith', 'contains', 'lower', 'upper', 'length', 'indexOf', 'substring', 'toString',
]);

/** Parses a FHIRPath Patch (fhirpatch.html) and checks each operation's path and element name. */
export function checkFhirPathPatch(body: Parameters, maxOperations: number): FhirPathPatch[] {
  let ops: FhirPathPatch[];
  try {
    ops = parseFhirPathPatchParameters(body);
  } catch (err) {
    throw new FhirError('invalid', 'FHIR-0400-PATCH', `Invalid FHIRPath Patch: ${(err as Error).message}`);
  }
  if (ops.length > maxOperations) throw tooCostly('FHIR-0422-PATCH-OPS', `A patch may hold at most ${maxOperations} operations, this one has ${ops.length}`);
  for (const [i, op] of ops.entries()) {
    const bad = (why: string) => new FhirError('invalid', 'FHIR-0400-PATCH', `FHIRPath Patch operation ${i}: ${why}`, { expression: `Parameters.parameter[${i}]` });
    if (typeof op.path !== 'string') throw bad('a path is required');
    const problem = pathProblem(op.path);
    if (problem) throw bad(problem);
    if ('name' in op && op.name !== undefined && (typeof op.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(op.name) || PROTOTYPE_NAMES.has(op.name))) {
      throw bad(`"${String(op.name).slice(0, 64)}" is not an element name`);
    }
  }
  return ops;
}

/** Why a path is refused, or undefined (string literals and `delimited` names are not looked into). */
function pathProblem(path: string): string | undefined {
  if (path.length > MAX_PATH_LENGTH) return `the path is longer than ${MAX_PATH_LENGTH} characters`;
  const code = path.replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
  if (/[%|]/.test(code)) return 'variables (%) and unions (|) are not allowed in a patch path';
  for (const [, name, call] of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(\s*\()?/g)) {
    if (call && !PATH_FUNCTIONS.has(name)) return `the function ${name}() is not allowed in a patch path`;
    if (!call && PROTOTYPE_NAMES.has(name)) return `"${name}" is not an element name`;
  }
  return undefined;
}

/**
 * Applies a FHIRPath Patch. Its values all come from the patch body and it has no copy, so the
 * result can outgrow the resource only by what the body carries; that is still checked against the
 * budget up front, for a resource already near the limit.
 */
export function applyFhirPathPatch(resource: Resource, ops: FhirPathPatch[], budget: PatchBudget): void {
  let size = budget.startSize;
  for (const op of ops) if ('value' in op) size += measure(op.value?.value, budget.maxSize - size).size;
  if (size > budget.maxSize) throw tooCostly('FHIR-0422-PATCH-SIZE', `The patch would make the resource larger than ${budget.maxSize} bytes`);
  try {
    fhirpathPatchTypedValue(toTypedValue(resource), ops);
  } catch (err) {
    throw new FhirError('unprocessable', 'FHIR-0422-PATCH', `FHIRPath Patch failed: ${(err as Error).message}`);
  }
}

import { Pointer, type Operation } from 'rfc6902';
import { apply } from 'rfc6902/patch';
import { FhirError } from '../errors';
import { MAX_DEPTH, PROTOTYPE_NAMES } from '../json';
import { measure, tooCostly, type PatchBudget } from './budget';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Checks the shape of a JSON Patch document (RFC 6902 §4): an array of at most `maxOperations`
 * operations with string pointers; pointers through Object.prototype members (`/__proto__`,
 * `/constructor`, `/toString`...) or `prototype` are refused outright.
 */
export function checkJsonPatch(ops: unknown, maxOperations: number): Operation[] {
  const valid =
    Array.isArray(ops) &&
    ops.every(
      (o) =>
        typeof o === 'object' &&
        o !== null &&
        safePointer(o.path) &&
        (o.from === undefined || safePointer(o.from)) &&
        OPS.has(o.op) &&
        (!['move', 'copy'].includes(o.op) || typeof o.from === 'string') &&
        (!['add', 'replace', 'test'].includes(o.op) || 'value' in o)
    );
  if (!valid) throw new FhirError('invalid', 'FHIR-0400-PATCH', 'The body must be a JSON Patch document: an array of operations');
  if (ops.length > maxOperations) throw tooCostly('FHIR-0422-PATCH-OPS', `A patch may hold at most ${maxOperations} operations, this one has ${ops.length}`);
  return ops as Operation[];
}

function safePointer(p: unknown): p is string {
  return typeof p === 'string' && (p === '' || p.startsWith('/')) && !Pointer.fromJSON(p).tokens.some((t) => PROTOTYPE_NAMES.has(t) || t === 'prototype');
}

/**
 * Applies a JSON Patch one operation at a time, refusing as soon as the result could outgrow the
 * budget: `add`, `replace` and `copy` add the size of their value to a running estimate (the copied
 * value is measured before it is cloned, and the measuring stops at the budget), `remove` and `move`
 * add nothing; removed and replaced content is not subtracted, so the estimate only errs upwards.
 * Copies have a budget of their own, and depth is bounded the same way. The work is
 * O(resource + patch + budget), whatever the operations.
 */
export function applyJsonPatch(resource: object, ops: Operation[], budget: PatchBudget): void {
  let size = budget.startSize;
  let copied = 0;
  let depth = budget.startDepth;
  for (const [i, op] of ops.entries()) {
    const at = Pointer.fromJSON(op.path).tokens.length - 1;
    if (op.op === 'add' || op.op === 'replace') {
      const m = measure(op.value, budget.maxSize - size);
      size += m.size;
      depth = Math.max(depth, at + m.depth);
    } else if (op.op === 'copy') {
      const m = measure(Pointer.fromJSON(op.from).evaluate(resource).value, Math.min(budget.maxSize - size, budget.maxCopied - copied));
      size += m.size;
      copied += m.size;
      depth = Math.max(depth, at + m.depth);
    } else if (op.op === 'move') {
      // the moved value is no deeper than the document below its old place
      depth = Math.max(depth, at + depth - (Pointer.fromJSON(op.from).tokens.length - 1));
    }
    if (size > budget.maxSize) {
      throw tooCostly('FHIR-0422-PATCH-SIZE', `Patch operation ${i} (${op.op} ${op.path}) would make the resource larger than ${budget.maxSize} bytes`);
    }
    if (copied > budget.maxCopied) {
      throw tooCostly('FHIR-0422-PATCH-SIZE', `Patch operation ${i} (${op.op} ${op.path}): the copies of this patch would add more than ${budget.maxCopied} bytes`);
    }
    if (depth > MAX_DEPTH) {
      throw tooCostly('FHIR-0422-PATCH-DEPTH', `Patch operation ${i} (${op.op} ${op.path}) would nest the resource deeper than ${MAX_DEPTH} levels`);
    }
    const failure = op.op === 'test' ? testOperation(resource, op.path, op.value) : apply(resource, op);
    if (failure) {
      throw new FhirError('unprocessable', 'FHIR-0422-PATCH', `Patch operation ${i} (${op.op} ${op.path}) failed: ${failure.name}`);
    }
  }
}

/** `test` (RFC 6902 §4.6) by JSON equality, in time linear in the smaller value (the library diffs arrays quadratically). */
function testOperation(resource: object, path: string, expected: unknown): Error | null {
  const actual = Pointer.fromJSON(path).evaluate(resource).value;
  if (actual === undefined) return Object.assign(new Error(`no value at ${path}`), { name: 'MissingError' });
  return jsonEqual(actual, expected) ? null : Object.assign(new Error(`value at ${path} differs`), { name: 'TestError' });
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop() as [unknown, unknown];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const ys = y as unknown[];
      if (x.length !== ys.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], ys[i]]);
      continue;
    }
    const yo = y as Record<string, unknown>;
    const keys = Object.keys(yo);
    if (keys.length !== Object.keys(x).length) return false;
    for (const k of keys) {
      if (!Object.prototype.hasOwnProperty.call(x, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], yo[k]]);
    }
  }
  return true;
}

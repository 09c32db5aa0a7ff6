import { FhirError } from '../errors';

/** Most operations one patch document may hold (JSON Patch and FHIRPath Patch alike). */
export const MAX_PATCH_OPERATIONS = 1000;

/** What `copy` operations may add to a resource, at least (more when the resource is larger). */
export const COPY_ALLOWANCE = 1024 * 1024;

/** What a patch may make of a resource: its size (JSON bytes, estimated) and nesting depth. */
export interface PatchBudget {
  /** The size of the resource before the patch. */
  startSize: number;
  /** Its nesting depth before the patch (the root object is level 1). */
  startDepth: number;
  /** The largest result allowed. */
  maxSize: number;
  /** The most that copies may add: a patch carries what it adds, but a copy multiplies what is there. */
  maxCopied: number;
}

/**
 * The budget of a patch on a resource of `json`: the result no larger than the largest body a client
 * may send (what a PUT could write), and copies adding no more than the resource held or
 * COPY_ALLOWANCE, whichever is more.
 */
export function patchBudget(json: string, resource: unknown, bodyLimit: number): PatchBudget {
  return { startSize: json.length, startDepth: measure(resource, Infinity).depth, maxSize: bodyLimit, maxCopied: Math.max(json.length, COPY_ALLOWANCE) };
}

/** A patch refused for what it would cost: 422 with issue code `too-costly`. */
export function tooCostly(errorCode: string, diagnostics: string): FhirError {
  return new FhirError('unprocessable', errorCode, diagnostics, { code: 'too-costly' });
}

/**
 * The approximate length of `value` as JSON text and its nesting depth (0 for a primitive, 1 for an
 * object or array of primitives). Stops as soon as the size passes `budget`, so measuring costs at
 * most O(budget) however large the value is; the size returned is then just over the budget.
 */
export function measure(value: unknown, budget: number): { size: number; depth: number } {
  let size = 0;
  let depth = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length && size <= budget) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean') size += String(v).length;
    else if (v === null) size += 4;
    else if (typeof v === 'object') {
      depth = Math.max(depth, d);
      if (Array.isArray(v)) {
        // brackets and commas counted first, so a huge array stops the walk before its items are listed
        size += 2 + v.length;
        if (size <= budget) for (const item of v) stack.push([item, d + 1]);
      } else {
        size += 2;
        for (const k in v) {
          size += k.length + 4;
          if (size > budget) break;
          stack.push([(v as Record<string, unknown>)[k], d + 1]);
        }
      }
    }
  }
  return { size, depth };
}

import sjson from 'secure-json-parse';
import { FhirError } from './errors';
import { truncate } from './util';

/**
 * The own members of Object.prototype (`constructor`, `toString`, `hasOwnProperty`, `__proto__`,
 * `__defineGetter__`, ...). As keys of a JSON object they shadow what code calls on every object
 * (or, for `__proto__`, replace its prototype when copied carelessly); no FHIR element has such a
 * name, so they are refused wherever FHIR JSON comes in.
 */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Deepest nesting of objects and arrays accepted in a body or a stored resource. */
export const MAX_DEPTH = 128;

/**
 * Parses FHIR JSON text: syntax, no prototype keys, within MAX_DEPTH. Failures are 400 with issue
 * code `structure`.
 */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : 'forbidden property name (__proto__ or constructor.prototype)';
    throw new FhirError('invalid', 'FHIR-0400-JSON', `The body is not valid JSON: ${why}`, { code: 'structure' });
  }
  assertJsonShape(value);
  return value;
}

/** Throws the first problem of jsonShapeProblem. */
export function assertJsonShape(value: unknown, maxDepth = MAX_DEPTH): void {
  const problem = jsonShapeProblem(value, maxDepth);
  if (problem) throw problem;
}

interface Node {
  value: unknown;
  depth: number;
  parent?: Node;
  key?: string | number;
}

/**
 * The first structural problem of a parsed JSON value at any depth: nesting deeper than `maxDepth`,
 * or a key that is a member of Object.prototype (400, `structure`, with the element's path). One
 * iterative walk, so a hostile depth cannot overflow the stack.
 */
export function jsonShapeProblem(value: unknown, maxDepth = MAX_DEPTH): FhirError | undefined {
  const stack: Node[] = [{ value, depth: 1 }];
  while (stack.length) {
    const node = stack.pop() as Node;
    const v = node.value;
    if (typeof v !== 'object' || v === null) continue;
    if (node.depth > maxDepth) {
      return new FhirError('invalid', 'FHIR-0400-DEPTH', `The body nests deeper than ${maxDepth} levels`, { code: 'structure' });
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth: node.depth + 1, parent: node, key: i });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (PROTOTYPE_NAMES.has(key)) {
        const expression = pathOf(value, { value: undefined, depth: node.depth + 1, parent: node, key });
        return new FhirError(
          'invalid',
          'FHIR-0400-NAME',
          `"${key}" is not allowed as an element name (at ${expression}): it is a member of Object.prototype, and no FHIR element has that name`,
          { code: 'structure', expression }
        );
      }
      stack.push({ value: (v as Record<string, unknown>)[key], depth: node.depth + 1, parent: node, key });
    }
  }
  return undefined;
}

/** A FHIRPath-like location (`Patient.contact[0].name`), rooted at the resource type when there is one. */
function pathOf(root: unknown, node: Node): string {
  const parts: string[] = [];
  for (let n: Node | undefined = node; n?.parent; n = n.parent) {
    parts.push(typeof n.key === 'number' ? `[${n.key}]` : `.${truncate(String(n.key), 40)}`);
  }
  const type = (root as { resourceType?: unknown } | null)?.resourceType;
  const head = typeof type === 'string' && !Array.isArray(root) ? truncate(type, 40) : '';
  const path = head + parts.reverse().join('');
  return path.startsWith('.') ? path.slice(1) : path;
}

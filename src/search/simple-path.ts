import { fhirPathIs, getElementDefinition, isResourceType, type FhirPathAtom, type TypedValue } from '@medplum/core';

/**
 * Most SearchParameter expressions are plain paths (`Observation.code`, `Resource.meta.lastUpdated`,
 * `AuditEvent.agent.network.address`), a reference path narrowed by its target type
 * (`Observation.subject.where(resolve() is Patient)`), or a union of those
 * (`AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)`).
 * For those the type of every step is known from the definitions, and walking the JSON gives what
 * @medplum/core's FHIRPath evaluation gives (the same values, types and order) at a fraction of its
 * cost, since the evaluator looks each property up in the schema again on every resource.
 *
 * A value with a primitive extension (`_status`), or a Reference carrying an inline `resource`, is
 * left to the evaluator, which decides those its own way.
 */
export interface SimplePath {
  /** The union's members, in order; a member whose root is another resource type has no steps and gives nothing. */
  readonly members: readonly PathMember[];
}

interface PathMember {
  readonly steps: readonly Step[];
  /** `ofType(T)`: only the values of type T (as the evaluator's `is` judges them). */
  readonly ofType?: string;
  /** `where(resolve() is T)`: only References whose target type is T. */
  readonly resolvesTo?: string;
}

interface Step {
  readonly name: string;
  readonly type: string;
  readonly extensionKey: string;
  /** A choice element (`value[x]`, last step only): its properties in the definition's order of types. */
  readonly choices?: readonly { readonly key: string; readonly extensionKey: string; readonly type: string }[];
}

const MEMBER = /^([A-Z][A-Za-z]*)((?:\.[a-z][A-Za-z]*)+)(?:\.ofType\(([A-Za-z]+)\))?(?:\.where\(\(?resolve\(\) is ([A-Z][A-Za-z]*)\)?\))?$/;

/** The plain path (or union of them) an expression is, or undefined when it is anything else (other functions, a choice on the way...). */
export function compileSimplePath(resourceType: string, expression: FhirPathAtom): SimplePath | undefined {
  const members: PathMember[] = [];
  for (const text of unionMembers(expression.toString())) {
    const member = compileMember(resourceType, text);
    if (!member) return undefined;
    members.push(member);
  }
  return members.length ? { members } : undefined;
}

function compileMember(resourceType: string, text: string): PathMember | undefined {
  const m = MEMBER.exec(text);
  if (!m) return undefined;
  // another concrete type's path (a parameter shared by several types) yields nothing on this one
  if (m[1] !== resourceType) return m[1] !== 'Resource' && m[1] !== 'DomainResource' && isResourceType(m[1]) ? { steps: [] } : undefined;
  const steps: Step[] = [];
  let type = resourceType;
  const names = m[2].slice(1).split('.');
  for (const [i, name] of names.entries()) {
    const element = getElementDefinition(type, name);
    if (!element) return undefined;
    if (element.path.endsWith(`.${name}[x]`) && i === names.length - 1) {
      // a choice takes its type from the property present (valueQuantity: Quantity)
      const codes = element.type.map((t) => t.code);
      if (codes.some((code) => !code || code === 'Resource' || code === 'Element' || code === 'BackboneElement')) return undefined;
      const choices = codes.map((code) => ({ key: name + code[0].toUpperCase() + code.slice(1), type: code }));
      steps.push({ name, type: '', extensionKey: '', choices: choices.map((c) => ({ ...c, extensionKey: `_${c.key}` })) });
      type = '';
      break;
    }
    // only an element of exactly this name and one concrete type: a contained Resource takes its
    // type from the value
    if (element.type.length !== 1 || !element.path.endsWith(`.${name}`)) return undefined;
    type = element.type[0].code;
    if (!type || type === 'Resource' || type === 'Element' || type === 'BackboneElement') return undefined;
    steps.push({ name, type, extensionKey: `_${name}` });
  }
  const [ofType, resolvesTo] = [m[3], m[4]];
  if (resolvesTo && (ofType ?? type) !== 'Reference') return undefined;
  return { steps, ...(ofType ? { ofType } : {}), ...(resolvesTo ? { resolvesTo } : {}) };
}

/** The members of a top-level union, as the parser prints it: `((a | b) | c)`. */
function unionMembers(text: string): string[] {
  const inner = wrapped(text) ? text.slice(1, -1) : text;
  let depth = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && inner.startsWith(' | ', i)) return [...unionMembers(inner.slice(0, i)), ...unionMembers(inner.slice(i + 3))];
  }
  return [inner];
}

/** Whether the whole text is one parenthesised group. */
function wrapped(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i === text.length - 1;
  }
  return false;
}

/** The path's values in the resource, or undefined where the evaluator must decide. */
export function evalSimplePath(path: SimplePath, resource: object): TypedValue[] | undefined {
  if (path.members.length === 1) return evalMember(path.members[0], resource);
  const out: TypedValue[] = [];
  const seen = new Set<string>();
  for (const member of path.members) {
    const values = evalMember(member, resource);
    if (!values) return undefined;
    // a union keeps the first of equal values, as the evaluator's does
    for (const tv of values) {
      const key = JSON.stringify(tv.value) ?? '';
      if (!seen.has(key)) out.push(tv);
      seen.add(key);
    }
  }
  return out;
}

function evalMember(member: PathMember, resource: object): TypedValue[] | undefined {
  if (member.steps.length === 0) return [];
  let current: unknown[] = [resource];
  let out: TypedValue[] = [];
  for (let i = 0; i < member.steps.length; i++) {
    const step = member.steps[i];
    const last = i === member.steps.length - 1;
    const next: unknown[] = [];
    out = [];
    for (const parent of current) {
      if (!parent || typeof parent !== 'object') continue;
      const record = parent as Record<string, unknown>;
      let { name, type, extensionKey } = step;
      if (step.choices) {
        // the first of the element's types whose property is there, as the evaluator looks
        const present = step.choices.find((c) => record[c.key] !== undefined || record[c.extensionKey] !== undefined);
        if (!present) continue;
        ({ key: name, type, extensionKey } = present);
      }
      if (record[extensionKey] !== undefined) return undefined;
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
  const typed = member.ofType ? out.filter((tv) => fhirPathIs(tv, member.ofType as string)) : out;
  return member.resolvesTo ? narrowToTarget(typed, member.resolvesTo) : typed;
}

/**
 * `where(resolve() is T)` without resolving: the evaluator takes a Reference's target type from its
 * `reference` (the part before `?` of a conditional one, else before the first `/`) or, lacking one,
 * from `type` with an `identifier`.
 */
function narrowToTarget(values: TypedValue[], target: string): TypedValue[] | undefined {
  const kept: TypedValue[] = [];
  for (const tv of values) {
    const ref = tv.value as { reference?: unknown; type?: unknown; identifier?: unknown; resource?: unknown } | null;
    if (!ref || typeof ref !== 'object' || ref.resource !== undefined) return undefined;
    const text = typeof ref.reference === 'string' && ref.reference ? ref.reference : ref.type && ref.identifier ? `${String(ref.type)}?` : undefined;
    if (text === undefined) continue;
    const type = text.includes('?') ? text.split('?')[0] : text.includes('/') ? text.split('/')[0] : undefined;
    if (type === target) kept.push(tv);
  }
  return kept;
}

/** @medplum/core's isEmpty for JSON values (null, '', [] and {} are empty), without listing an object's keys. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value === '';
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.length === 0;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

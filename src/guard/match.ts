import type { IndexRow } from '../search/index-rows';
import type { Predicate, RangeCondition, RangeTest } from '../search/plan';

/** A version as the index sees it: what a plan's predicates are evaluated against. */
export interface IndexedVersion {
  resourceType: string;
  id: string;
  index: IndexRow[];
  /** Patient compartments, as 'Patient/123'. */
  compartments: string[];
}

/** A predicate that needs other resources (chains, `_has`) cannot be judged on one version alone. */
export class UnmatchablePredicateError extends Error {
  constructor(kind: string) {
    super(`A ${kind} predicate cannot be evaluated on one resource`);
    this.name = 'UnmatchablePredicateError';
  }
}

/**
 * Evaluates plan predicates on one version's extracted index rows, with the same meaning the adapters
 * give them in a query (sqlite/compile.ts, mongo/compile.ts): the guarded store uses it for versions a
 * query cannot reach (history, the new content of a write). `matchable` tells up front whether a
 * predicate can be evaluated here at all.
 */
export function matches(where: Predicate[], v: IndexedVersion): boolean {
  return where.every((p) => matchOne(p, v));
}

export function matchable(p: Predicate): boolean {
  switch (p.kind) {
    case 'chain':
    case 'has':
    case 'referencedBy':
    case 'composite':
      return false;
    case 'not':
      return matchable(p.predicate);
    case 'and':
      return p.all.every(matchable);
    case 'or':
      return p.any.every(matchable);
    default:
      return true;
  }
}

function matchOne(p: Predicate, v: IndexedVersion): boolean {
  switch (p.kind) {
    case 'id':
      return p.ids.includes(v.id);
    case 'type':
      return p.types.includes(v.resourceType);
    case 'compartment':
      return p.compartments.some((c) => v.compartments.includes(c));
    case 'string':
      return rowsOf(v, 'string', p.code).some((r) =>
        p.match === 'exact' ? r.exact === p.value : p.match === 'contains' ? r.value.includes(p.value) : r.value.startsWith(p.value)
      );
    case 'token':
      return rowsOf(v, 'token', p.code).some(
        (r) =>
          (p.value === undefined || r.value === p.value) &&
          (p.system === undefined || r.system === p.system) &&
          (p.text === undefined || (r.text ?? '').startsWith(p.text))
      );
    case 'reference':
      return rowsOf(v, 'reference', p.code).some(
        (r) =>
          (p.reference !== undefined
            ? r.reference === p.reference
            : r.targetId === (p.targetId ?? '') && (!p.targetTypes || (r.targetType !== null && p.targetTypes.includes(r.targetType)))) &&
          (p.version === undefined || r.version === p.version)
      );
    case 'uri':
      return rowsOf(v, 'uri', p.code).some((r) => (p.match === 'below' ? r.value.startsWith(p.values[0]) : p.values.includes(r.value)));
    case 'date':
      return rowsOf(v, 'date', p.code).some((r) => inRange(p.condition, { low: r.low, high: r.high, value: r.low }));
    case 'number':
      return rowsOf(v, 'number', p.code).some((r) => inRange(p.condition, r));
    case 'quantity':
      return rowsOf(v, 'quantity', p.code).some(
        (r) => inRange(p.condition, r) && (p.system === undefined || r.system === p.system) && (p.unit === undefined || r.unit === p.unit)
      );
    case 'missing':
      return v.index.some((r) => r.type === p.type && r.code === p.code) !== p.missing;
    case 'not':
      return !matchOne(p.predicate, v);
    case 'and':
      return p.all.every((q) => matchOne(q, v));
    case 'or':
      return p.any.some((q) => matchOne(q, v));
    default:
      throw new UnmatchablePredicateError(p.kind);
  }
}

function rowsOf<T extends IndexRow['type']>(v: IndexedVersion, type: T, code: string): Extract<IndexRow, { type: T }>[] {
  return v.index.filter((r): r is Extract<IndexRow, { type: T }> => r.type === type && r.code === code);
}

function inRange(c: RangeCondition, fields: Record<RangeTest[0], number>): boolean {
  const holds = (tests: RangeTest[]) => tests.every(([field, op, value]) => compare(fields[field], op, value));
  if (c.all && !holds(c.all)) return false;
  return c.any.some(holds);
}

function compare(a: number, op: RangeTest[1], b: number): boolean {
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

import type { IndexRow } from './index-rows';

/**
 * A backend-neutral search plan (DESIGN.md decision 2): parsed and planned once in the core, compiled
 * by each adapter to its own query language. It names index rows (see index-rows.ts) by their type
 * and code; it carries no SQL and no MongoDB syntax, and an adapter does no planning beyond compiling.
 */
export interface SearchPlan {
  /** The resource types searched: one for a type-level search, several for system-level `_type`. */
  resourceTypes: string[];
  /** All must hold (AND). */
  where: Predicate[];
  /** Sort keys, most significant first; ties are broken by the adapter's stable insertion order. */
  sort?: SortKey[];
  /** Page size (0: no records, e.g. for `_summary=count`). */
  count: number;
  /** Keyset position after which the page starts (opaque to the core, produced by the adapter as `next`). */
  after?: string;
  /**
   * Whether the adapter counts the matches: 'accurate' all of them; 'estimate' (the default when a
   * search names no `_total`) at most TOTAL_ESTIMATE_CAP, giving no total beyond that, so a search of
   * a million matches does not count them all for a page of twenty; a total given is always exact.
   */
  total: 'none' | 'estimate' | 'accurate';
}

/** How many matches a search without `_total=accurate` counts before it gives up on a total. */
export const TOTAL_ESTIMATE_CAP = 1000;

export type IndexType = IndexRow['type'];

export interface SortKey {
  /** The SearchParameter code whose index rows give the sort value (`_id`: the logical id itself). */
  code: string;
  type: IndexType;
  descending: boolean;
}

/** `field op value` on a range row's numeric fields (date: low/high; number, quantity: value/low/high). */
export type RangeTest = [field: 'low' | 'high' | 'value', op: '<' | '<=' | '>' | '>=', value: number];

/**
 * Range tests: every test of `all` holds, and (when `any` is given) all tests of some any[i]. The
 * `all` part carries the bounds an index can seek on; `any` the disjunction that remains.
 */
export interface RangeCondition {
  all?: RangeTest[];
  any: RangeTest[][];
}

export type Predicate =
  | { kind: 'id'; ids: string[] }
  /** Of one of these resource types (to scope per-type access terms of a system-level search). */
  | { kind: 'type'; types: string[] }
  /** The target of a reference from a live resource of `sourceTypes` matching `where` ($everything's referenced resources). */
  | { kind: 'referencedBy'; sourceTypes: string[]; where: Predicate[] }
  | { kind: 'string'; code: string; match: 'start' | 'exact' | 'contains'; value: string }
  /**
   * system undefined: any system; null: no system. value undefined: any code in the system.
   * text: a folded prefix of the display/text (for `:text`). broad: the values come from a small
   * closed set (status, boolean), so a value matches many resources; identifier: the parameter indexes
   * an Identifier, so a value names one or a few resources (hints for adapters).
   */
  | { kind: 'token'; code: string; system?: string | null; value?: string; text?: string; broad?: boolean; identifier?: boolean }
  /**
   * `reference` 'Type/id' or an absolute URL/canonical; or `targetId` with the allowed `targetTypes`
   * for a bare id; `version` for canonical|version.
   */
  | { kind: 'reference'; code: string; reference?: string; targetId?: string; targetTypes?: string[]; version?: string }
  /** uri: exact, `:below` (value starts with the given text), `:above` (value is one of the given prefixes). */
  | { kind: 'uri'; code: string; match: 'exact' | 'below' | 'above'; values: string[] }
  | { kind: 'date'; code: string; condition: RangeCondition }
  | { kind: 'number'; code: string; condition: RangeCondition }
  /** Quantity rows of `code` (or `code:canonical` for UCUM base units) with the value condition and optional system and unit. */
  | { kind: 'quantity'; code: string; condition: RangeCondition; system?: string; unit?: string }
  | { kind: 'composite'; code: string; first: { system?: string | null; value?: string }; second: CompositeSecond }
  /** Resources with (missing=false) or without (missing=true) any index row of the parameter. */
  | { kind: 'missing'; code: string; type: IndexType; missing: boolean }
  /** Resources for which the inner predicate does not hold. */
  | { kind: 'not'; predicate: Predicate }
  /** Chaining: the reference parameter `code` points at a live resource of one of `targetTypes` matching `where`. */
  | { kind: 'chain'; code: string; targetTypes: string[]; where: Predicate[] }
  /** Reverse chaining (`_has`): a live `sourceType` resource whose reference parameter `code` points here matches `where`. */
  | { kind: 'has'; sourceType: string; code: string; where: Predicate[] }
  /** In one of the compartments 'Patient/123', ... (membership computed at write time); none: matches nothing. */
  | { kind: 'compartment'; compartments: string[] }
  | { kind: 'and'; all: Predicate[] }
  | { kind: 'or'; any: Predicate[] };

export type CompositeSecond =
  | { type: 'token'; system?: string | null; value?: string }
  | { type: 'string'; value: string }
  | { type: 'range'; condition: RangeCondition; system?: string; unit?: string };

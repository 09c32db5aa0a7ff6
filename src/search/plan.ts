import type { VersionRecord } from '../storage/port';

/**
 * A backend-neutral search plan (DESIGN.md decision 2): parsed and planned once in the core, compiled
 * by each adapter to its own query language.
 */
export interface SearchPlan {
  /** The resource types searched: one for a type-level search, several for system-level `_type`. */
  resourceTypes: string[];
  /** All must hold (AND). */
  where: Predicate[];
  /** Page size. */
  count: number;
  /** Keyset position after which the page starts (opaque to the core, produced by the adapter). */
  after?: string;
  /** Whether the adapter must count all matches. */
  total: 'none' | 'accurate';
}

export type Predicate =
  | { kind: 'id'; ids: string[] }
  | { kind: 'string'; code: string; match: 'start' | 'exact' | 'contains'; value: string }
  /** system undefined: any system; null: no system. value undefined: any code in the system. */
  | { kind: 'token'; code: string; system?: string | null; value?: string }
  /** `reference` 'Type/id' or an absolute URL; or only `targetId` for a bare id with several possible target types. */
  | { kind: 'reference'; code: string; reference?: string; targetId?: string }
  | { kind: 'uri'; code: string; value: string }
  /** In the compartment 'Patient/123' (membership computed at write time). */
  | { kind: 'compartment'; compartment: string }
  | { kind: 'and'; all: Predicate[] }
  | { kind: 'or'; any: Predicate[] };

export interface SearchPage {
  records: VersionRecord[];
  /** Present when `total` was asked for. */
  total?: number;
  /** Present when more matches follow; pass back as `after`. */
  next?: string;
}

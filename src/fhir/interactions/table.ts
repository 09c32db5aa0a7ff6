import { FhirError } from '../errors';
import type { AuditEvent } from '../types';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import type { OperationRegistry } from '../../operations/registry';
import { create } from './create';
import { conditionalDelete, deleteInteraction } from './delete';
import { history } from './history';
import { conditionalPatch, patch } from './patch';
import { read } from './read';
import { searchSystem, searchType } from './search';
import { conditionalUpdate, update } from './update';
import { vread } from './vread';

/** The spec's interaction codes (CodeSystem restful-interaction), as the router, CapabilityStatement and audit use them. */
export type InteractionCode =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'history-type'
  | 'create'
  | 'search-type'
  | 'search-system'
  | 'history-system'
  | 'batch'
  | 'transaction'
  | 'capabilities'
  | 'operation';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the path gave: the resource type, id, version, operation name, compartment target type. */
export interface RouteParams {
  type?: string;
  id?: string;
  vid?: string;
  op?: string;
  target?: string;
  /** The query string, for conditional forms. */
  criteria: string;
}

export interface RouterDeps {
  operations: OperationRegistry;
  /** The CapabilityStatement, built once from the registries. */
  /** The CapabilityStatement as this request sees the server (its base URL). */
  capabilities: (ctx: RequestContext) => FhirResponse;
  /** POST [base] with a batch or transaction Bundle, when the server offers it. */
  bundle?: (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;
  /** Runs an `$operation` (the router checks where it applies). */
  operation: (ctx: RequestContext, req: FhirRequest, p: RouteParams) => Promise<FhirResponse>;
}

/**
 * One row per interaction (http.html): the path after the base (`:type`, `:id`, `:vid`, `:op`,
 * `:target` are parameters, everything else literal), the methods, the interaction codes it stands
 * for in the CapabilityStatement (empty for variants such as POST _search or conditional forms), the
 * audit action, and the handler. The router, the CapabilityStatement and the audit hook all read it.
 */
export interface InteractionRow {
  code: InteractionCode;
  level: 'system' | 'type' | 'instance';
  methods: Method[];
  path: string[];
  capability: InteractionCode[];
  action: NonNullable<AuditEvent['action']>;
  handle(ctx: RequestContext, req: FhirRequest, p: RouteParams, deps: RouterDeps): Promise<FhirResponse>;
}

const t = (p: RouteParams) => p.type as string;
const i = (p: RouteParams) => p.id as string;

export const INTERACTIONS: readonly InteractionRow[] = [
  { code: 'capabilities', level: 'system', methods: ['GET'], path: ['metadata'], capability: [], action: 'R', handle: async (c, _r, _p, d) => d.capabilities(c) },
  { code: 'search-system', level: 'system', methods: ['GET'], path: [], capability: ['search-system'], action: 'E', handle: (c, r) => searchSystem(c, r) },
  { code: 'search-system', level: 'system', methods: ['POST'], path: ['_search'], capability: [], action: 'E', handle: (c, r) => searchSystem(c, r) },
  { code: 'history-system', level: 'system', methods: ['GET'], path: ['_history'], capability: ['history-system'], action: 'R', handle: (c, r) => history(c, r) },
  { code: 'transaction', level: 'system', methods: ['POST'], path: [], capability: ['transaction', 'batch'], action: 'E', handle: (c, r, _p, d) => bundleOf(d)(c, r) },
  { code: 'operation', level: 'system', methods: ['GET', 'POST'], path: [':op'], capability: [], action: 'E', handle: (c, r, p, d) => d.operation(c, r, p) },

  { code: 'search-type', level: 'type', methods: ['GET'], path: [':type'], capability: ['search-type'], action: 'E', handle: (c, r, p) => searchType(c, r, t(p)) },
  { code: 'create', level: 'type', methods: ['POST'], path: [':type'], capability: ['create'], action: 'C', handle: (c, r, p) => create(c, r, t(p)) },
  { code: 'update', level: 'type', methods: ['PUT'], path: [':type'], capability: [], action: 'U', handle: (c, r, p) => conditionalUpdate(c, r, t(p), criteria(p, 'update')) },
  { code: 'patch', level: 'type', methods: ['PATCH'], path: [':type'], capability: [], action: 'U', handle: (c, r, p) => conditionalPatch(c, r, t(p), criteria(p, 'patch')) },
  { code: 'delete', level: 'type', methods: ['DELETE'], path: [':type'], capability: [], action: 'D', handle: (c, r, p) => conditionalDelete(c, r, t(p), criteria(p, 'delete')) },
  { code: 'search-type', level: 'type', methods: ['POST'], path: [':type', '_search'], capability: [], action: 'E', handle: (c, r, p) => searchType(c, r, t(p)) },
  { code: 'history-type', level: 'type', methods: ['GET'], path: [':type', '_history'], capability: ['history-type'], action: 'R', handle: (c, r, p) => history(c, r, t(p)) },
  { code: 'operation', level: 'type', methods: ['GET', 'POST'], path: [':type', ':op'], capability: [], action: 'E', handle: (c, r, p, d) => d.operation(c, r, p) },

  { code: 'read', level: 'instance', methods: ['GET'], path: [':type', ':id'], capability: ['read'], action: 'R', handle: (c, r, p) => read(c, r, t(p), i(p)) },
  { code: 'update', level: 'instance', methods: ['PUT'], path: [':type', ':id'], capability: ['update'], action: 'U', handle: (c, r, p) => update(c, r, t(p), i(p)) },
  { code: 'patch', level: 'instance', methods: ['PATCH'], path: [':type', ':id'], capability: ['patch'], action: 'U', handle: (c, r, p) => patch(c, r, t(p), i(p)) },
  { code: 'delete', level: 'instance', methods: ['DELETE'], path: [':type', ':id'], capability: ['delete'], action: 'D', handle: (c, r, p) => deleteInteraction(c, r, t(p), i(p)) },
  { code: 'history-instance', level: 'instance', methods: ['GET'], path: [':type', ':id', '_history'], capability: ['history-instance'], action: 'R', handle: (c, r, p) => history(c, r, t(p), i(p)) },
  { code: 'vread', level: 'instance', methods: ['GET'], path: [':type', ':id', '_history', ':vid'], capability: ['vread'], action: 'R', handle: (c, r, p) => vread(c, r, t(p), i(p), p.vid as string) },
  { code: 'operation', level: 'instance', methods: ['GET', 'POST'], path: [':type', ':id', ':op'], capability: [], action: 'E', handle: (c, r, p, d) => d.operation(c, r, p) },
  // compartments.html: GET [base]/Patient/[id]/[type]
  { code: 'search-type', level: 'instance', methods: ['GET'], path: [':type', ':id', ':target'], capability: [], action: 'E', handle: (c, r, p) => searchType(c, r, p.target as string, { type: t(p), id: i(p) }) },
];

/** The interaction codes the CapabilityStatement lists for each resource type, and for the whole system. */
export function capabilityCodes(level: 'system' | 'resource'): InteractionCode[] {
  return INTERACTIONS.filter((r) => (level === 'system' ? r.level === 'system' : r.level !== 'system')).flatMap((r) => r.capability);
}

function bundleOf(deps: RouterDeps) {
  return (ctx: RequestContext, req: FhirRequest) => {
    if (!deps.bundle) throw new FhirError('not-allowed', 'FHIR-0405', 'This server takes no batch or transaction Bundles');
    return deps.bundle(ctx, req);
  };
}

/** Conditional update, patch and delete need criteria in the URL (http.html#cond-update). */
function criteria(p: RouteParams, what: string): string {
  if (!p.criteria) throw new FhirError('invalid', 'FHIR-0400-CRITERIA', `Conditional ${what} needs search criteria in the URL`);
  return p.criteria;
}

import type { DefinitionRegistry } from '../definitions/registry';
import type { OperationRegistry } from '../operations/registry';
import type { FhirRequest, FhirResponse, RequestContext } from './context';
import { FhirError } from './errors';
import { INTERACTIONS, type InteractionRow, type Method, type RouteParams, type RouterDeps } from './interactions/table';
import { assertValidId, truncate } from './util';

export type { RouterDeps };

/** Literal first segments of system-level rows: never a resource type. */
const SYSTEM_LITERALS = new Set(INTERACTIONS.filter((r) => r.level === 'system' && r.path[0] && !r.path[0].startsWith(':')).map((r) => r.path[0]));

/**
 * The FHIR router (after Medplum's): maps a plain request to one row of the interaction table and
 * runs its handler. It knows nothing of Express; batch and transaction entries come back through it.
 */
export function createRouter(deps: Omit<RouterDeps, 'operation'>) {
  const full: RouterDeps = { ...deps, operation: (ctx, req, p) => runOperation(deps.operations, ctx, req, p) };
  return async function route(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
    const { row, params } = resolveInteraction(ctx.registry, req);
    return row.handle(ctx, req, params, full);
  };
}

/**
 * The interaction a request asks for, with what its path gave; a FhirError (404 unknown route or
 * type, 405 method, 400 id) when there is none. The audit hook classifies requests with it too.
 */
export function resolveInteraction(registry: DefinitionRegistry, req: FhirRequest): { row: InteractionRow; params: RouteParams } {
  const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
  const rows = INTERACTIONS.filter((r) => r.path.length === req.path.length && r.path.every((seg, n) => segmentMatches(registry, seg, req.path[n])));
  if (rows.length === 0) throw unknownRoute(req);
  if (rows[0].path[0] === ':type' && !registry.isResourceType(req.path[0])) {
    throw new FhirError('not-found', 'FHIR-0404-TYPE', `Unknown resource type "${truncate(req.path[0])}"`, { code: 'not-supported' });
  }
  const row = rows.find((r) => r.methods.includes(method));
  if (!row) throw new FhirError('not-allowed', 'FHIR-0405', `${req.method} is not allowed on /${req.path.map((p) => truncate(p, 40)).join('/')}`);
  const params: RouteParams = { criteria: new URLSearchParams(req.query).toString() };
  row.path.forEach((seg, n) => {
    if (seg.startsWith(':')) params[seg.slice(1) as 'type' | 'id' | 'vid' | 'op' | 'target'] = req.path[n];
  });
  if (params.id !== undefined) assertValidId(params.id);
  return { row, params };
}

function segmentMatches(registry: DefinitionRegistry, pattern: string, value: string): boolean {
  switch (pattern) {
    case ':op':
      return value.startsWith('$');
    case ':type':
      return !value.startsWith('$') && !value.startsWith('_') && !SYSTEM_LITERALS.has(value);
    case ':id':
      return !value.startsWith('$') && !value.startsWith('_');
    case ':target':
      return registry.isResourceType(value);
    case ':vid':
      return true;
    default:
      return pattern === value;
  }
}

/** An `$operation` at the level its path gives, if the registry has it there. */
function runOperation(operations: OperationRegistry, ctx: RequestContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const name = p.op as string;
  const op = operations.get(name.slice(1));
  const level = p.id ? 'instance' : p.type ? 'type' : 'system';
  const applies =
    op &&
    (level === 'system'
      ? op.system
      : (level === 'type' ? op.type : op.instance) && (op.resourceTypes === '*' || op.resourceTypes?.includes(p.type as string)));
  if (!op || !applies) {
    throw new FhirError('not-found', 'FHIR-0404-OPERATION', `Operation ${truncate(name)} is not supported at ${level} level${p.type ? ` on ${p.type}` : ''}`, {
      code: 'not-supported',
    });
  }
  if (req.method !== 'POST' && (req.method !== 'GET' || op.affectsState)) {
    throw new FhirError('not-allowed', 'FHIR-0405', `${req.method} is not allowed on /${req.path.map((s) => truncate(s, 40)).join('/')}`);
  }
  return op.handle(ctx, req, { resourceType: p.type, id: p.id });
}

function unknownRoute(req: FhirRequest): FhirError {
  return new FhirError('not-found', 'FHIR-0404-ROUTE', `No FHIR interaction at /${req.path.map((p) => truncate(p, 40)).join('/')}`, {
    code: 'not-supported',
  });
}

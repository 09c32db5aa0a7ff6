import type { OperationRegistry } from '../operations/registry';
import type { FhirRequest, FhirResponse, RequestContext } from './context';
import { FhirError } from './errors';
import { create } from './interactions/create';
import { conditionalDelete, deleteInteraction } from './interactions/delete';
import { history } from './interactions/history';
import { conditionalPatch, patch } from './interactions/patch';
import { read } from './interactions/read';
import { searchSystem, searchType } from './interactions/search';
import { conditionalUpdate, update } from './interactions/update';
import { vread } from './interactions/vread';
import { assertValidId, truncate } from './util';

export interface RouterDeps {
  operations: OperationRegistry;
  /** The CapabilityStatement, built once from the registries. */
  capabilities: () => FhirResponse;
  /** POST [base] with a batch or transaction Bundle, when the server offers it. */
  bundle?: (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;
}

/**
 * The FHIR router (after Medplum's): maps a plain request to one interaction handler. It knows
 * nothing of Express; batch and transaction entries come back through it.
 */
export function createRouter(deps: RouterDeps) {
  return async function route(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
    const [first, second, third, fourth, ...rest] = req.path;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (rest.length > 0) throw unknownRoute(req);

    if (first === undefined) {
      if (method === 'POST' && deps.bundle) return deps.bundle(ctx, req);
      if (method === 'GET') return searchSystem(ctx, req);
      throw notAllowed(req);
    }
    if (first === '_search' && second === undefined) {
      if (method !== 'POST') throw notAllowed(req);
      return searchSystem(ctx, req);
    }
    if (first === 'metadata' && second === undefined) {
      if (method !== 'GET') throw notAllowed(req);
      return deps.capabilities();
    }
    if (first === '_history' && second === undefined) {
      if (method !== 'GET') throw notAllowed(req);
      return history(ctx, req);
    }
    if (first.startsWith('$')) return operation(ctx, req, first, {});

    const type = first;
    if (!ctx.registry.isResourceType(type)) {
      throw new FhirError('not-found', 'FHIR-0404-TYPE', `Unknown resource type "${truncate(type)}"`, { code: 'not-supported' });
    }
    if (second === undefined) {
      const criteria = new URLSearchParams(req.query).toString();
      switch (method) {
        case 'GET':
          return searchType(ctx, req, type);
        case 'POST':
          return create(ctx, req, type);
        case 'PUT':
          return conditionalUpdate(ctx, req, type, requireCriteria(criteria, 'update'));
        case 'PATCH':
          return conditionalPatch(ctx, req, type, requireCriteria(criteria, 'patch'));
        case 'DELETE':
          return conditionalDelete(ctx, req, type, requireCriteria(criteria, 'delete'));
      }
    }
    if (second === '_search' && third === undefined) {
      if (method !== 'POST') throw notAllowed(req);
      return searchType(ctx, req, type);
    }
    if (second === '_history' && third === undefined) {
      if (method !== 'GET') throw notAllowed(req);
      return history(ctx, req, type);
    }
    if (second.startsWith('$')) {
      if (third !== undefined) throw unknownRoute(req);
      return operation(ctx, req, second, { resourceType: type });
    }
    const id = second;
    assertValidId(id);
    if (third === undefined) {
      switch (method) {
        case 'GET':
          return read(ctx, req, type, id);
        case 'PUT':
          return update(ctx, req, type, id);
        case 'PATCH':
          return patch(ctx, req, type, id);
        case 'DELETE':
          return deleteInteraction(ctx, req, type, id);
        default:
          throw notAllowed(req);
      }
    }
    if (third === '_history') {
      if (method !== 'GET') throw notAllowed(req);
      if (fourth === undefined) return history(ctx, req, type, id);
      return vread(ctx, req, type, id, fourth);
    }
    if (fourth !== undefined) throw unknownRoute(req);
    if (third.startsWith('$')) return operation(ctx, req, third, { resourceType: type, id });
    if (ctx.registry.isResourceType(third)) {
      if (method !== 'GET') throw notAllowed(req);
      return searchType(ctx, req, third, { type, id });
    }
    throw unknownRoute(req);
  };

  function operation(ctx: RequestContext, req: FhirRequest, name: string, target: { resourceType?: string; id?: string }) {
    const op = deps.operations.get(name.slice(1));
    const level = target.id ? 'instance' : target.resourceType ? 'type' : 'system';
    const applies =
      op &&
      (level === 'system'
        ? op.system
        : (level === 'type' ? op.type : op.instance) &&
          (op.resourceTypes === '*' || op.resourceTypes?.includes(target.resourceType as string)));
    if (!op || !applies) {
      throw new FhirError('not-found', 'FHIR-0404-OPERATION', `Operation ${truncate(name)} is not supported at ${level} level${target.resourceType ? ` on ${target.resourceType}` : ''}`, {
        code: 'not-supported',
      });
    }
    if (req.method !== 'POST' && (req.method !== 'GET' || op.affectsState)) throw notAllowed(req);
    return op.handle(ctx, req, target);
  }
}

function requireCriteria(criteria: string, what: string): string {
  if (!criteria) throw new FhirError('invalid', 'FHIR-0400-CRITERIA', `Conditional ${what} needs search criteria in the URL`);
  return criteria;
}

function notAllowed(req: FhirRequest): FhirError {
  return new FhirError('not-allowed', 'FHIR-0405', `${req.method} is not allowed on /${req.path.map((p) => truncate(p, 40)).join('/')}`);
}

function unknownRoute(req: FhirRequest): FhirError {
  return new FhirError('not-found', 'FHIR-0404-ROUTE', `No FHIR interaction at /${req.path.map((p) => truncate(p, 40)).join('/')}`, {
    code: 'not-supported',
  });
}

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DefinitionRegistry } from '../definitions/registry';
import type { AccessGate } from '../fhir/access';
import type { FhirRequest, FhirResponse, RequestContext } from '../fhir/context';
import { isFhirError } from '../fhir/errors';
import { gateFor } from './gate';
import { parseScopes } from './scopes';

type Route = (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

/** Statuses of a read that mean "not for you" (refused, absent, deleted) rather than a failure. */
const NOT_VISIBLE = new Set([403, 404, 410]);

/**
 * Whether Patient/{id} can be read under an access gate, found by running the FHIR router's own read
 * with a request context built as the FHIR endpoint builds it: the core's access rules decide, this
 * module takes no decision of its own. The read is recorded by the afterResponse hooks (the audit
 * trail) like any other. Any other failure is thrown.
 */
export function patientReader(baseCtx: Omit<RequestContext, 'requestId' | 'access' | 'log'>, route: Route, log: Logger) {
  return async function canRead(access: AccessGate, patientId: string): Promise<boolean> {
    const requestId = randomUUID();
    const ctx: RequestContext = { ...baseCtx, requestId, access, log: log.child({ reqId: requestId }) };
    const req: FhirRequest = { method: 'GET', path: ['Patient', patientId], query: [], headers: {} };
    let out: FhirResponse | undefined;
    let failure: unknown;
    try {
      out = await route(ctx, req);
      return out.status === 200;
    } catch (err) {
      failure = err;
      if (isFhirError(err) && NOT_VISIBLE.has(err.status)) return false;
      throw err;
    } finally {
      for (const hook of ctx.hooks.afterResponse) {
        try {
          hook(ctx, req, out, failure);
        } catch (err) {
          ctx.log.error({ err }, 'afterResponse hook failed');
        }
      }
    }
  };
}

/**
 * The grants of a signed-in user as such, outside any app: `user/Patient.rs` for that fhirUser. What
 * they reach is decided by the core (today: a Patient user only their own record; others all patients).
 */
export function userGate(fhirUser: string, registry: DefinitionRegistry): AccessGate {
  return gateFor({ tokenId: 'user-entitlement', clientId: 'authorization-server', scopes: parseScopes('user/Patient.rs').resources, fhirUser }, registry);
}

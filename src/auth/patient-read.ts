import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FhirRequest, FhirResponse, RequestContext, ServerContext } from '../fhir/context';
import { isFhirError } from '../fhir/errors';
import type { TokenGrants } from '../guard/from-token';
import type { Grant } from '../guard/grant';
import { GuardedStore } from '../guard/guarded-store';
import type { Store } from '../storage/port';

type Route = (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

/** Statuses of a read that mean "not for you" (refused, absent, deleted) rather than a failure. */
const NOT_VISIBLE = new Set([403, 404, 410]);

/**
 * Whether Patient/{id} can be read under a grant, found by running the FHIR router's own read with a
 * request context built as the FHIR endpoint builds it: the guarded store decides, this module takes
 * no decision of its own. The read is recorded by the afterResponse hooks (the audit trail) like any
 * other. Any other failure is thrown.
 */
export function patientReader(baseCtx: ServerContext, raw: Store, route: Route, log: Logger) {
  return async function canRead(grant: Grant, patientId: string): Promise<boolean> {
    const requestId = randomUUID();
    const ctx: RequestContext = { ...baseCtx, requestId, store: new GuardedStore({ main: raw }, grant, baseCtx), log: log.child({ reqId: requestId }) };
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
 * The grants of a signed-in user as such, outside any app: `user/Patient.rs` for that fhirUser. Whom
 * they reach is the guard's rule for users (a Patient their own record, a Practitioner the patients
 * they care for, ...).
 */
export function userGrants(fhirUser: string, administrator = false): TokenGrants {
  return { clientId: 'authorization-server', scope: 'user/Patient.rs', fhirUser, administrator };
}

import type { Config } from '../config';
import type { DefinitionRegistry } from '../definitions/registry';
import { parseScopes } from '../auth/scopes';
import { parseSearch } from '../search/parse';
import type { Store } from '../storage/port';
import { compileGrant, type Grant, type UserReach } from './grant';
import { userReach } from './relations';

/** What a verified access token says, before it is compiled into a grant. */
export interface TokenGrants {
  clientId: string;
  scope: string;
  patient?: string;
  fhirUser?: string;
  /** The signed-in user is registered as an administrator. */
  administrator?: boolean;
}

/** How long a user's relations (care teams, family links) are reused before they are looked up again. */
export const REACH_TTL_MS = 30_000;
const REACH_CACHE_SIZE = 10_000;

/**
 * Turns verified tokens into grants, once per request: user/ scopes get the user's reach, looked up on
 * the raw store by the server itself (cached briefly per user), and granular queries are parsed as
 * strict searches, so an unknown parameter voids its scope rather than being ignored.
 */
export function grantResolver(deps: { registry: DefinitionRegistry; config: Config; baseUrl: string; store: Store }, now: () => number = Date.now) {
  const reaches = new Map<string, { until: number; reach: Promise<UserReach> }>();
  const reachOf = (t: TokenGrants): Promise<UserReach> => {
    const key = `${t.administrator ? 'admin:' : ''}${t.fhirUser ?? ''}`;
    const hit = reaches.get(key);
    if (hit && hit.until > now()) return hit.reach;
    if (reaches.size >= REACH_CACHE_SIZE) reaches.clear();
    const reach = userReach(deps, t.fhirUser, !!t.administrator);
    reaches.set(key, { until: now() + REACH_TTL_MS, reach });
    reach.catch(() => reaches.delete(key));
    return reach;
  };
  const parseQuery = (type: string, query: string) =>
    parseSearch(deps.registry, [type], [...new URLSearchParams(query)], deps.config, { handling: 'strict', baseUrl: deps.baseUrl, now: now() }).where;

  return async function resolve(t: TokenGrants): Promise<Grant> {
    const { resources, other } = parseScopes(t.scope);
    const userReachOf = resources.some((s) => s.context === 'user') ? await reachOf(t) : [];
    const grant = compileGrant(
      { clientId: t.clientId, scopes: resources, otherScopes: other, patient: t.patient, fhirUser: t.fhirUser, userReach: userReachOf },
      deps.registry,
      parseQuery
    );
    return { ...grant, token: t };
  };
}

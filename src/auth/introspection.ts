import { parseScopes } from './scopes';
import type { ClientRecord } from './store';
import type { TokenService } from './tokens';

/** A client registered with this scope (a resource server) may introspect any client's tokens. */
export const INTROSPECT_SCOPE = 'introspect';

/**
 * RFC 7662 for an authenticated client: the token's own client, or a resource server registered with
 * the `introspect` scope, learns what the token is; anyone else only that it is not active for them
 * (§2.2), so that holding one token does not let a client learn about others.
 */
export async function introspect(tokens: TokenService, issuer: string, caller: ClientRecord, token: string): Promise<Record<string, unknown>> {
  let c;
  try {
    c = await tokens.verifyAccessToken(token);
  } catch {
    return { active: false };
  }
  if (c.clientId !== caller.id && !parseScopes(caller.scope).other.has(INTROSPECT_SCOPE)) return { active: false };
  return {
    active: true,
    scope: c.scope,
    client_id: c.clientId,
    exp: c.exp,
    ...(c.iat ? { iat: c.iat } : {}),
    ...(c.patient ? { patient: c.patient } : {}),
    ...(c.encounter ? { encounter: c.encounter } : {}),
    ...(c.fhirUser ? { fhirUser: c.fhirUser, sub: c.fhirUser, iss: issuer } : {}),
    token_type: 'Bearer',
  };
}

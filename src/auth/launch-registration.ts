import { parseScopes } from './scopes';
import { bearerToken, type TokenService } from './tokens';

/** Why a token may not register an EHR launch. */
export interface LaunchRefusal {
  status: 401 | 403;
  error: 'invalid_token' | 'insufficient_scope';
  description: string;
}

/**
 * Why the token of these headers may not register an EHR launch context, or undefined when it may.
 * Only an EHR's or a system's token may: not one confined to a patient (a `patient` claim, or a user
 * who is a Patient), and one with a user/ or system/ scope reading Patient without criteria. Whether
 * the launch patient is visible to it is for the FHIR core to say (SmartRouterOptions.patientVisible).
 */
export async function launchRefusal(tokens: TokenService, headers: Record<string, string | string[] | undefined>): Promise<LaunchRefusal | undefined> {
  const token = bearerToken(headers);
  if (!token) return { status: 401, error: 'invalid_token', description: 'An access token is required (Authorization: Bearer ...)' };
  let claims;
  try {
    claims = await tokens.verifyAccessToken(token);
  } catch {
    return { status: 401, error: 'invalid_token', description: 'The access token is not valid' };
  }
  if (claims.patient || claims.fhirUser?.startsWith('Patient/')) {
    return { status: 403, error: 'insufficient_scope', description: 'A token confined to a patient may not register a launch' };
  }
  const readsPatients = parseScopes(claims.scope).resources.some(
    (s) => (s.context === 'user' || s.context === 'system') && (s.resourceType === 'Patient' || s.resourceType === '*') && s.permissions.has('r') && !s.query
  );
  if (!readsPatients) return { status: 403, error: 'insufficient_scope', description: 'Registering a launch needs a user/ or system/ scope that reads Patient' };
  return undefined;
}

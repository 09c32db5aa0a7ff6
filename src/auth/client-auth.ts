import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { verifySecret } from './passwords';
import type { AuthStore, ClientRecord } from './store';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An OAuth error answer (RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400
  ) {
    super(description);
  }
}

const remoteSets = new Map<string, JWTVerifyGetKey>();

/**
 * Authenticates the client at the token endpoint: client_secret_basic for confidential symmetric
 * clients, private_key_jwt (RS384 or ES384; RFC 7523, SMART Backend Services) for asymmetric ones,
 * and nothing but the client_id for public clients.
 */
export async function authenticateClient(
  store: AuthStore,
  form: Record<string, string>,
  authorization: string | undefined,
  /** The token endpoint's URL (or URLs: its names on this server) a client assertion must name as audience. */
  tokenUrl: string | string[],
  now: number
): Promise<ClientRecord> {
  if (authorization?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':').map(decodeURIComponent);
    const client = store.getClient(id ?? '');
    if (!client || client.type !== 'confidential-symmetric' || !(await verifySecret(secret ?? '', client.secretHash))) {
      throw new OAuthError('invalid_client', 'Client authentication failed', 401);
    }
    return client;
  }
  if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
    if (form.client_assertion_type !== JWT_BEARER) throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER}`);
    return verifyAssertion(store, form.client_assertion ?? '', tokenUrl, now);
  }
  const client = store.getClient(form.client_id ?? '');
  if (!client) throw new OAuthError('invalid_client', 'Unknown client', 401);
  if (client.type !== 'public') throw new OAuthError('invalid_client', 'This client must authenticate', 401);
  return client;
}

async function verifyAssertion(store: AuthStore, assertion: string, tokenUrl: string | string[], now: number): Promise<ClientRecord> {
  let iss: string | undefined;
  try {
    iss = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
  } catch {
    throw new OAuthError('invalid_client', 'The client assertion is not a JWT');
  }
  const client = iss ? store.getClient(iss) : undefined;
  if (!client || client.type !== 'confidential-asymmetric') throw new OAuthError('invalid_client', 'Unknown client in the assertion');
  let keys: JWTVerifyGetKey;
  if (client.jwks) keys = createLocalJWKSet(client.jwks as never);
  else if (client.jwksUrl) {
    keys = remoteSets.get(client.jwksUrl) ?? createRemoteJWKSet(new URL(client.jwksUrl));
    remoteSets.set(client.jwksUrl, keys);
  } else throw new OAuthError('invalid_client', 'The client has no registered keys');
  try {
    const { payload, protectedHeader } = await jwtVerify(assertion, keys, {
      issuer: client.id,
      subject: client.id,
      audience: tokenUrl,
      algorithms: ['RS384', 'ES384'],
      currentDate: new Date(now),
    });
    if (protectedHeader.jku) throw new Error('jku is not accepted');
    if (typeof payload.exp !== 'number' || payload.exp * 1000 > now + 5 * 60 * 1000 + 5000) throw new Error('exp more than 5 minutes ahead');
    if (!payload.jti) throw new Error('no jti');
    if (!store.rememberJti(client.id, payload.jti, payload.exp * 1000, now)) throw new Error('jti replayed');
    return client;
  } catch (err) {
    throw new OAuthError('invalid_client', `The client assertion was refused: ${(err as Error).message}`);
  }
}

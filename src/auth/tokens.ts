import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { FhirError } from '../fhir/errors';
import type { SigningKeys } from './keys';
import type { AuthStore } from './store';

export interface AccessClaims {
  clientId: string;
  scope: string;
  patient?: string;
  encounter?: string;
  fhirUser?: string;
  /** The signed-in user's name (claim `username`), for what the user registry says of them. */
  username?: string;
  /** The grant family the token was issued from (authorization code and refresh): revoked with it. */
  family?: string;
}

export interface TokenSettings {
  /** The issuer (this server's FHIR base URL). */
  issuer: string;
  /** The audience tokens are for: the FHIR base URL. */
  audience: string;
  /** Another authorization server whose tokens are accepted too. */
  external?: { issuer: string; jwksUrl: string };
}

/** The bearer token of an Authorization header (RFC 6750 §2.1), if it carries one. */
export function bearerToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  return value && /^Bearer\s+\S+$/i.test(value) ? value.replace(/^Bearer\s+/i, '') : undefined;
}

function unauthorized(description: string): FhirError {
  return new FhirError('unauthorized', 'FHIR-0401-TOKEN', description, {
    headers: { 'WWW-Authenticate': `Bearer realm="fhir", error="invalid_token", error_description="${description.replace(/"/g, "'")}"` },
  });
}

/** jose checks exp only when it is present: a token without one would never expire. */
const REQUIRED_CLAIMS = ['exp', 'jti'];

/** Signs and verifies access tokens and id_tokens (JWTs, RS256) with jose; never hand-made crypto. */
export class TokenService {
  private readonly externalJwks;

  constructor(
    private readonly keys: SigningKeys,
    private readonly store: AuthStore,
    private readonly settings: TokenSettings
  ) {
    this.externalJwks = settings.external ? createRemoteJWKSet(new URL(settings.external.jwksUrl)) : undefined;
  }

  async issueAccessToken(claims: AccessClaims, ttlSeconds: number): Promise<{ token: string; jti: string; expiresIn: number }> {
    const jti = randomUUID();
    const token = await new SignJWT({
      scope: claims.scope,
      client_id: claims.clientId,
      ...(claims.patient ? { patient: claims.patient } : {}),
      ...(claims.encounter ? { encounter: claims.encounter } : {}),
      ...(claims.fhirUser ? { fhirUser: claims.fhirUser } : {}),
      ...(claims.username ? { username: claims.username } : {}),
      ...(claims.family ? { family: claims.family } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.current.kid, typ: 'at+jwt' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(claims.fhirUser ?? claims.clientId)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.keys.current.privateKey);
    return { token, jti, expiresIn: ttlSeconds };
  }

  async issueIdToken(clientId: string, fhirUser: string, nonce: string | undefined): Promise<string> {
    return new SignJWT({ fhirUser, ...(nonce ? { nonce } : {}) })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.current.kid })
      .setIssuer(this.settings.issuer)
      .setAudience(clientId)
      .setSubject(fhirUser)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.keys.current.privateKey);
  }

  /** Verifies a bearer token: signature, issuer, audience (this FHIR base), expiry, revocation. */
  async verifyAccessToken(token: string): Promise<AccessClaims & { jti: string; exp: number; iat?: number }> {
    let payload: JWTPayload;
    let own = true;
    try {
      const iss = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).iss as string | undefined;
      if (this.externalJwks && iss === this.settings.external?.issuer) {
        own = false;
        ({ payload } = await jwtVerify(token, this.externalJwks, { issuer: iss, audience: this.settings.audience, requiredClaims: REQUIRED_CLAIMS }));
      } else {
        ({ payload } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
          issuer: this.settings.issuer,
          audience: this.settings.audience,
          algorithms: ['RS256'],
          typ: 'at+jwt',
          requiredClaims: REQUIRED_CLAIMS,
        }));
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw unauthorized(code === 'ERR_JWT_EXPIRED' ? 'The access token has expired' : 'The access token is not valid for this server');
    }
    if (!payload.jti || this.store.isRevoked(payload.jti)) throw unauthorized('The access token has been revoked');
    const family = own && typeof payload.family === 'string' ? payload.family : undefined;
    if (family && this.store.isFamilyRevoked(family)) throw unauthorized('The access token has been revoked');
    const clientId = (payload.client_id ?? payload.azp ?? payload.sub) as string | undefined;
    if (!clientId || typeof payload.scope !== 'string') throw unauthorized('The access token carries no client or scope');
    return {
      clientId,
      scope: payload.scope,
      patient: payload.patient as string | undefined,
      encounter: payload.encounter as string | undefined,
      fhirUser: payload.fhirUser as string | undefined,
      // an external issuer's users are not in this server's registry
      username: payload.iss === this.settings.issuer ? (payload.username as string | undefined) : undefined,
      family,
      jti: payload.jti,
      exp: payload.exp as number,
      iat: payload.iat,
    };
  }

  private keyFor(kid: string | undefined) {
    const key = kid ? this.keys.publicKeys.get(kid) : undefined;
    if (!key) throw new Error('unknown key');
    return key;
  }

  jwks(): { keys: unknown[] } {
    return { keys: this.keys.published };
  }
}

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { loadSigningKeys, type SigningKeys } from './keys';
import { AuthStore } from './store';
import { TokenService } from './tokens';

const ISS = 'http://localhost:8080/fhir';
const EXTERNAL = 'https://idp.hospital.example';

let dir: string;
let keys: SigningKeys;
let store: AuthStore;
let jwksServer: http.Server;
let externalKey: CryptoKey;
let tokens: TokenService;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-tokens-'));
  keys = await loadSigningKeys(dir);
  store = new AuthStore(dir);
  const pair = await generateKeyPair('RS256', { extractable: true });
  externalKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ext-1', alg: 'RS256', use: 'sig' }] });
  jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks));
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
  const port = (jwksServer.address() as AddressInfo).port;
  tokens = new TokenService(keys, store, { issuer: ISS, audience: ISS, external: { issuer: EXTERNAL, jwksUrl: `http://127.0.0.1:${port}/jwks` } });
});
afterAll(async () => {
  store.close();
  await new Promise((r) => jwksServer.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A token like the server's own, signed with its current key, with or without exp. */
function own(exp: boolean): Promise<string> {
  const jwt = new SignJWT({ scope: 'system/*.rs', client_id: 'backend' })
    .setProtectedHeader({ alg: 'RS256', kid: keys.current.kid, typ: 'at+jwt' })
    .setIssuer(ISS)
    .setAudience(ISS)
    .setJti(crypto.randomUUID())
    .setIssuedAt();
  return (exp ? jwt.setExpirationTime('5m') : jwt).sign(keys.current.privateKey);
}

function external(exp: boolean): Promise<string> {
  const jwt = new SignJWT({ scope: 'system/*.rs', client_id: 'hospital' })
    .setProtectedHeader({ alg: 'RS256', kid: 'ext-1' })
    .setIssuer(EXTERNAL)
    .setAudience(ISS)
    .setJti(crypto.randomUUID())
    .setIssuedAt();
  return (exp ? jwt.setExpirationTime('5m') : jwt).sign(externalKey);
}

const INVALID = { status: 401, headers: { 'WWW-Authenticate': expect.stringContaining('error="invalid_token"') } };

describe('verifyAccessToken requires exp', () => {
  it('accepts the server\'s own token with exp and refuses one without', async () => {
    expect(await tokens.verifyAccessToken(await own(true))).toMatchObject({ clientId: 'backend', scope: 'system/*.rs' });
    await expect(tokens.verifyAccessToken(await own(false))).rejects.toMatchObject(INVALID);
  });

  it('accepts an external issuer\'s token with exp and refuses one without', async () => {
    expect(await tokens.verifyAccessToken(await external(true))).toMatchObject({ clientId: 'hospital', scope: 'system/*.rs' });
    await expect(tokens.verifyAccessToken(await external(false))).rejects.toMatchObject(INVALID);
  });

  it('issues tokens that carry exp', async () => {
    const issued = await tokens.issueAccessToken({ clientId: 'backend', scope: 'system/*.rs' }, 60);
    const claims = await tokens.verifyAccessToken(issued.token);
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  });
});

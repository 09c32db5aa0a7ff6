import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { makePrivateDir } from '../storage/private-files';

/** The server's signing keys: RS256 (OIDC requires it for id_tokens; access tokens use it too). */
export interface SigningKeys {
  current: { kid: string; privateKey: CryptoKey; publicJwk: JWK };
  /** Public keys still published (current and recently rotated), for the JWKS. */
  published: JWK[];
  publicKeys: Map<string, CryptoKey>;
}

interface KeyFile {
  keys: { kid: string; created: number; privateJwk: JWK; publicJwk: JWK }[];
}

/**
 * Loads the keys from DATA_DIR (mode 0600), creating the first one, and rotates: a key older than
 * `rotateAfterMs` is replaced by a new current key; the old public key stays in the JWKS until every
 * token it signed has expired.
 */
export async function loadSigningKeys(dataDir: string, rotateAfterMs = 30 * 24 * 3600 * 1000, now = Date.now()): Promise<SigningKeys> {
  const file = path.join(dataDir, 'auth-keys.json');
  let data: KeyFile = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile) : { keys: [] };
  const newest = data.keys[data.keys.length - 1];
  if (!newest || now - newest.created > rotateAfterMs) {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    const kid = `k${now.toString(36)}`;
    const entry = { kid, created: now, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
    // keep the previous key published for a day so tokens it signed stay verifiable
    data = { keys: [...data.keys.filter((k) => now - k.created < rotateAfterMs + 24 * 3600 * 1000), entry] };
    makePrivateDir(dataDir);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(data), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
  const last = data.keys[data.keys.length - 1];
  const publicKeys = new Map<string, CryptoKey>();
  for (const k of data.keys) publicKeys.set(k.kid, (await importJWK(k.publicJwk, 'RS256')) as CryptoKey);
  return {
    current: { kid: last.kid, privateKey: (await importJWK(last.privateJwk, 'RS256')) as CryptoKey, publicJwk: last.publicJwk },
    published: data.keys.map((k) => k.publicJwk),
    publicKeys,
  };
}

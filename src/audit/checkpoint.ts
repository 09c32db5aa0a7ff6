import fs from 'node:fs';
import path from 'node:path';
import { CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Provenance } from '../fhir/types';
import type { ChainLink } from './chain';

/**
 * Signed checkpoints of the chain head: every so many records or seconds the writer stores a
 * Provenance in the audit store whose signature is a JWS (ES256) over {seq, hash, time}, signed with
 * the audit trail's own key in DATA_DIR/audit-key.json (0600). `npm run audit:verify` checks them
 * with the public key, DATA_DIR/audit-key.pub.json; keep a copy of that file away from the server so
 * that whoever can replace files in DATA_DIR cannot also replace the key the trail is checked with.
 */
export const KEY_FILE = 'audit-key.json';
export const PUBLIC_KEY_FILE = 'audit-key.pub.json';
const ALG = 'ES256';
export const CHECKPOINT_TAG = 'http://insured.example.org/fhir/CodeSystem/audit-checkpoint';

export interface Checkpoint extends ChainLink {
  time: string;
  /**
   * 'anchor': where the trail starts after a prune (prune.ts), the link of the last record removed;
   * signed as such, so that no ordinary checkpoint can pass for one.
   */
  kind?: 'anchor';
}

export interface CheckpointSigner {
  kid: string;
  sign(c: Checkpoint): Promise<string>;
}

/** The audit key, created on first use. */
export async function loadCheckpointSigner(dataDir: string): Promise<CheckpointSigner> {
  const file = path.join(dataDir, KEY_FILE);
  let stored: { kid: string; privateJwk: JWK; publicJwk: JWK };
  if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof stored;
  else {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = `audit-${Date.now().toString(36)}`;
    stored = { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALG }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALG } };
    fs.mkdirSync(dataDir, { recursive: true });
    // exclusive create: two processes starting at once keep the first key
    try {
      fs.writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
      fs.writeFileSync(path.join(dataDir, PUBLIC_KEY_FILE), JSON.stringify({ keys: [stored.publicJwk] }, null, 1));
    } catch {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof stored;
    }
  }
  const key = (await importJWK(stored.privateJwk, ALG)) as CryptoKey;
  return {
    kid: stored.kid,
    sign: (c) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify({ seq: c.seq, hash: c.hash, time: c.time, ...(c.kind ? { kind: c.kind } : {}) })))
        .setProtectedHeader({ alg: ALG, kid: stored.kid })
        .sign(key),
  };
}

/** The public keys a trail is verified with (a JWKS file: DATA_DIR/audit-key.pub.json or one given). */
export async function loadVerificationKeys(file: string): Promise<Map<string, CryptoKey>> {
  const { keys } = JSON.parse(fs.readFileSync(file, 'utf8')) as { keys: JWK[] };
  const out = new Map<string, CryptoKey>();
  for (const k of keys) out.set(k.kid as string, (await importJWK(k, ALG)) as CryptoKey);
  return out;
}

/** The checkpoint a JWS states, when one of the keys signed it; undefined otherwise. */
export async function verifyCheckpoint(jws: string, keys: Map<string, CryptoKey>): Promise<Checkpoint | undefined> {
  try {
    const kid = (JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8')) as { kid?: string }).kid;
    const key = kid ? keys.get(kid) : undefined;
    if (!key) return undefined;
    const { payload } = await compactVerify(jws, key);
    return JSON.parse(new TextDecoder().decode(payload)) as Checkpoint;
  } catch {
    return undefined;
  }
}

/**
 * The Provenance that stores a checkpoint: its target is the AuditEvent at the head, its signature the
 * JWS. An anchor's target is the AuditEvent of the prune that left it.
 */
export function checkpointProvenance(c: Checkpoint, targetId: string, jws: string): Provenance {
  return {
    resourceType: 'Provenance',
    meta: { tag: [{ system: CHECKPOINT_TAG, code: c.kind ?? 'checkpoint' }] },
    target: [{ reference: `AuditEvent/${targetId}` }],
    recorded: c.time,
    agent: [{ who: { display: 'insured-fhir-server audit trail' } }],
    signature: [
      {
        type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.14', display: 'Source Signature' }],
        when: c.time,
        who: { display: 'insured-fhir-server audit trail' },
        sigFormat: 'application/jose',
        data: Buffer.from(jws).toString('base64'),
      },
    ],
  };
}

/** The JWS a checkpoint Provenance carries. */
export function checkpointJws(p: Provenance): string | undefined {
  const data = p.signature?.[0]?.data;
  return data ? Buffer.from(data, 'base64').toString('utf8') : undefined;
}

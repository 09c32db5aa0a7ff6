import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makePrivateDir } from '../storage/private-files';

/** The server's de-identification secret, DATA_DIR/deid.key: made once (private, 600), never exported. */
export function serverSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'deid.key');
  makePrivateDir(dataDir);
  try {
    // 'wx': of two processes starting at once, one writes and both read the same secret
    fs.writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
}

/** One recipient's key: files of two clients cannot be joined on pseudonyms or date offsets. */
export function recipientKey(secret: Buffer, recipient: string): Buffer {
  return createHmac('sha256', secret).update(`deid-recipient:${recipient}`).digest();
}

/**
 * The pseudonym of `Type/id` for a recipient: HMAC-SHA256, base64url, 32 characters. base64url's
 * `_` is not allowed in a FHIR id ([A-Za-z0-9\-.]{1,64}), so it is written `.` (still one-to-one).
 */
export function pseudonym(key: Buffer, type: string, id: string): string {
  return createHmac('sha256', key).update(`${type}/${id}`).digest('base64url').slice(0, 32).replace(/_/g, '.');
}

/** A person's date offset for a recipient: whole days in ±365, never 0, the same for all their resources. */
export function dayOffset(key: Buffer, personKey: string): number {
  const n = createHmac('sha256', key).update(`date-offset:${personKey}`).digest().readUInt32BE(0) % 730;
  return n < 365 ? n - 365 : n - 364;
}

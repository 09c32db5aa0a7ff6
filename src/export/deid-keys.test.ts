import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dayOffset, pseudonym, recipientKey, serverSecret } from './deid-keys';

describe('de-identification keys', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-keys-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps one private server secret in DATA_DIR', () => {
    const a = serverSecret(dir);
    expect(serverSecret(dir).equals(a)).toBe(true);
    expect(a.length).toBe(32);
    expect(fs.statSync(path.join(dir, 'deid.key')).mode & 0o777).toBe(0o600);
  });

  it('gives each recipient its own deterministic pseudonyms, valid FHIR ids of 32 characters', () => {
    const secret = serverSecret(dir);
    const a = recipientKey(secret, 'client-a');
    const b = recipientKey(secret, 'client-b');
    const p = pseudonym(a, 'Patient', 'p1');
    expect(p).toMatch(/^[A-Za-z0-9\-.]{32}$/);
    expect(pseudonym(recipientKey(secret, 'client-a'), 'Patient', 'p1')).toBe(p);
    expect(pseudonym(b, 'Patient', 'p1')).not.toBe(p);
    expect(pseudonym(a, 'Observation', 'p1')).not.toBe(p);
  });

  it('derives a non-zero day offset within ±365 per person and recipient', () => {
    const key = recipientKey(Buffer.alloc(32, 7), 'c');
    const offsets = Array.from({ length: 500 }, (_, i) => dayOffset(key, `p${i}`));
    expect(offsets.every((d) => Number.isInteger(d) && d !== 0 && d >= -365 && d <= 365)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(200);
    expect(dayOffset(key, 'p1')).toBe(dayOffset(key, 'p1'));
  });
});

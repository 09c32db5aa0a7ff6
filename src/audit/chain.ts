import { createHash } from 'node:crypto';
import type { AuditEvent, Extension } from '../fhir/types';

/**
 * The hash chain of the audit trail (DESIGN.md decision 11). Each AuditEvent carries, in this
 * extension, its sequence number in the trail and SHA-256 over the previous record's hash and the
 * event's own canonical JSON (sorted keys; without `meta`, which the store sets, and without this
 * extension). Changing a record breaks its own hash; removing or inserting one breaks the sequence
 * and the next record's hash; rewriting the whole tail disagrees with the last signed checkpoint.
 */
export const CHAIN_URL = 'http://insured.example.org/fhir/StructureDefinition/audit-chain';

/** The `previous` hash of the first record. */
export const GENESIS = '0'.repeat(64);

export interface ChainLink {
  seq: number;
  hash: string;
}

/** Printable ASCII other than `"` and `\`: JSON writes such a string as it is, between quotes. */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * JSON with object keys sorted (what RFC 8785 calls canonical for the values FHIR JSON holds), and an
 * absent (undefined) member left out. Built by concatenation, which is several times faster than
 * mapping and joining; chain.test.ts holds it to the definition.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return PLAIN_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (value[i] === undefined ? '' : canonicalJson(value[i]));
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${canonicalJson(key)}:${canonicalJson(record[key])}`;
  }
  return `${out}}`;
}

/** The event as the hash covers it: without meta and without the chain extension. */
function hashed(event: AuditEvent): AuditEvent {
  const { meta: _meta, extension, ...rest } = event;
  const kept = extension?.filter((e) => e.url !== CHAIN_URL);
  return { ...rest, ...(kept?.length ? { extension: kept } : {}) } as AuditEvent;
}

export function linkHash(previous: string, event: AuditEvent): string {
  return createHash('sha256').update(previous).update('\n').update(canonicalJson(hashed(event))).digest('hex');
}

/** The event with its link of the chain (seq and hash, after `previous`). */
export function chained(event: AuditEvent, seq: number, previous: string): { event: AuditEvent; link: ChainLink } {
  const hash = linkHash(previous, event);
  const ext: Extension = {
    url: CHAIN_URL,
    extension: [
      { url: 'seq', valueInteger: seq },
      { url: 'hash', valueString: hash },
    ],
  };
  return { event: { ...event, extension: [...(event.extension ?? []).filter((e) => e.url !== CHAIN_URL), ext] }, link: { seq, hash } };
}

/** The link an event carries, if any. */
export function linkOf(event: AuditEvent): ChainLink | undefined {
  const ext = event.extension?.find((e) => e.url === CHAIN_URL);
  const seq = ext?.extension?.find((e) => e.url === 'seq')?.valueInteger;
  const hash = ext?.extension?.find((e) => e.url === 'hash')?.valueString;
  return typeof seq === 'number' && typeof hash === 'string' ? { seq, hash } : undefined;
}

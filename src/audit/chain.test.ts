import type { AuditEvent } from '../fhir/types';
import { canonicalJson, chained, GENESIS, linkHash, linkOf } from './chain';

/** Sorted keys by the definition: JSON.stringify with each object's members re-inserted in order. */
function sortedByDefinition(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v
  );
}

const event = {
  resourceType: 'AuditEvent',
  id: 'e1',
  recorded: '2026-12-02T10:00:00.000Z',
  outcome: '0',
  outcomeDesc: 'a "quoted" \\ back\u0001slash \u4e2d\u6587 \ud83d\ude00 \ud800',
  agent: [{ who: { display: 'x' }, requestor: true, n: 1.5e-7, z: [1, null, false, 'x'] }],
  entity: [{ query: 'cGF0aWVudD0x', what: undefined }],
  meta: { versionId: '1' },
  extension: [
    { url: 'http://insured.example.org/fhir/StructureDefinition/audit-chain', extension: [] },
    { url: 'http://x', valueInteger: 3 },
  ],
} as unknown as AuditEvent;

describe('the audit chain', () => {
  it.each([
    ['an event with escapes, non-ASCII, a lone surrogate and an absent member', event],
    ['nested arrays and numbers', { b: [[1, 2.5, -0, 1e21], [], {}], a: { d: 'x', c: null } }],
    ['strings that need escaping', ['\n', '\t', '"', '\\', '\u007f', '\u2028', '', 'plain']],
    ['a bare string', 'Patient/p1'],
  ])('writes JSON with sorted keys as the definition does: %s', (_what, value) => {
    expect(canonicalJson(value)).toBe(sortedByDefinition(value));
  });

  it('hashes exactly as the trail has always been hashed (a record written before stays valid)', () => {
    // the value computed with the first implementation of canonicalJson (map, sort and join)
    expect(linkHash(GENESIS, event)).toBe('4e0c335226d59c37bed3b614360074016fa768ea2e514b1781498005de090800');
  });

  it('leaves meta and its own link out of the hash, so storing and re-linking changes nothing', () => {
    const { event: linked, link } = chained(event, 7, GENESIS);
    expect(linkOf(linked)).toEqual(link);
    expect(link).toEqual({ seq: 7, hash: linkHash(GENESIS, event) });
    const stored = JSON.parse(JSON.stringify({ ...linked, meta: { versionId: '1', lastUpdated: '2026-12-02T10:00:01Z' } })) as AuditEvent;
    expect(linkHash(GENESIS, stored)).toBe(link.hash);
    // the other extension stays, and counts
    expect(linked.extension?.map((e) => e.url)).toEqual(['http://x', 'http://insured.example.org/fhir/StructureDefinition/audit-chain']);
    expect(linkHash(GENESIS, { ...stored, extension: [] })).not.toBe(link.hash);
  });

  it('chains each record to the one before', () => {
    const first = chained(event, 1, GENESIS);
    const second = chained({ ...event, id: 'e2' }, 2, first.link.hash);
    expect(second.link.hash).toBe(linkHash(first.link.hash, { ...event, id: 'e2' }));
    expect(second.link.hash).not.toBe(linkHash(GENESIS, { ...event, id: 'e2' }));
  });
});

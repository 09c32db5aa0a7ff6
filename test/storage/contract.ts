import { loadConfig } from '../../src/config';
import { getRegistry } from '../../src/definitions/registry';
import { patientCompartments } from '../../src/fhir/compartments';
import type { Resource } from '../../src/fhir/types';
import { matches } from '../../src/guard/match';
import { extractIndexRows } from '../../src/search/extract';
import type { IndexRow } from '../../src/search/index-rows';
import { parseSearch } from '../../src/search/parse';
import { TOTAL_ESTIMATE_CAP, type SearchPlan } from '../../src/search/plan';
import { InvalidCursorError, VersionConflictError, type Store, type WriteOp } from '../../src/storage/port';

/**
 * The store conformance suite (DESIGN.md decision 2): every adapter runs exactly these tests.
 * `open` gives a fresh, empty store; `reopen` (where the adapter persists) the same data again;
 * `share` another store open on the same data at the same time, as another server process would be.
 */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  reopen?: (s: Store) => Promise<Store>,
  share?: (s: Store) => Promise<Store>
): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const tick = () => new Date((clock += 1000)).toISOString();

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    function op(type: string, id: string, versionId: string, body: Record<string, unknown>, extra: Partial<WriteOp> = {}): WriteOp {
      const lastUpdated = tick();
      return {
        resourceType: type,
        id,
        versionId,
        lastUpdated,
        deleted: false,
        method: versionId === '1' ? 'POST' : 'PUT',
        json: JSON.stringify({ resourceType: type, id, meta: { versionId, lastUpdated }, ...body }),
        index: [],
        compartments: [],
        expectedVersionId: versionId === '1' ? null : String(Number(versionId) - 1),
        ...extra,
      };
    }
    const token = (code: string, system: string | null, value: string): IndexRow => ({ type: 'token', code, system, value, text: null });

    it('writes versions and reads current and past ones', async () => {
      const [v1] = await store.transaction((s) => s.write([op('Patient', 'a', '1', { active: true })]));
      expect(v1).toMatchObject({ resourceType: 'Patient', id: 'a', versionId: '1', deleted: false });
      const [v2] = await store.transaction((s) => s.write([op('Patient', 'a', '2', { active: false })]));
      expect(v2.storeVersion).toBeGreaterThan(v1.storeVersion);
      const current = await store.readCurrent('Patient', 'a');
      expect(current?.versionId).toBe('2');
      expect(JSON.parse(current?.json as string).active).toBe(false);
      expect(JSON.parse((await store.readVersion('Patient', 'a', '1'))?.json as string).active).toBe(true);
      expect(await store.readVersion('Patient', 'a', '3')).toBeUndefined();
      expect(await store.readCurrent('Patient', 'b')).toBeUndefined();
      expect(await store.readCurrent('Observation', 'a')).toBeUndefined();
      expect(await store.currentStoreVersion()).toBe(v2.storeVersion);
    });

    it('refuses a write whose expected version is not current, and rolls back the whole scope', async () => {
      await store.transaction((s) => s.write([op('Patient', 'a', '1', {})]));
      await expect(
        store.transaction(async (s) => {
          await s.write([op('Patient', 'b', '1', {})]);
          await s.write([op('Patient', 'a', '1', {})]); // 'a' exists already
        })
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store.readCurrent('Patient', 'b')).toBeUndefined();
      await expect(store.transaction((s) => s.write([op('Patient', 'a', '3', {}, { expectedVersionId: '2' })]))).rejects.toBeInstanceOf(
        VersionConflictError
      );
    });

    it('rolls back everything when the scope throws, and sees its own writes inside', async () => {
      await expect(
        store.transaction(async (s) => {
          await s.write([op('Patient', 'x', '1', {})]);
          expect((await s.readCurrent('Patient', 'x'))?.versionId).toBe('1');
          throw new Error('boom');
        })
      ).rejects.toThrow('boom');
      expect(await store.readCurrent('Patient', 'x')).toBeUndefined();
      expect(await store.history({ count: 10 })).toEqual([]);
    });

    it('appends a tombstone on delete; history keeps every version newest first', async () => {
      await store.transaction((s) => s.write([op('Patient', 'a', '1', {})]));
      await store.transaction((s) => s.write([op('Patient', 'a', '2', {})]));
      await store.transaction((s) =>
        s.write([{ ...op('Patient', 'a', '3', {}), deleted: true, method: 'DELETE', json: undefined, expectedVersionId: '2' }])
      );
      const current = await store.readCurrent('Patient', 'a');
      expect(current).toMatchObject({ deleted: true, versionId: '3', method: 'DELETE' });
      expect(current?.json).toBeUndefined();
      const hist = await store.history({ resourceType: 'Patient', id: 'a', count: 10 });
      expect(hist.map((h) => [h.versionId, h.method])).toEqual([['3', 'DELETE'], ['2', 'PUT'], ['1', 'POST']]);
      expect(await store.historyCount({ resourceType: 'Patient', id: 'a' })).toBe(3);
      // a deleted resource may be created again
      await store.transaction((s) => s.write([op('Patient', 'a', '4', {}, { expectedVersionId: null })]));
      expect((await store.readCurrent('Patient', 'a'))?.deleted).toBe(false);
    });

    it('pages history with a store-version cursor and filters by type, since and at', async () => {
      for (const id of ['a', 'b', 'c']) await store.transaction((s) => s.write([op('Patient', id, '1', {})]));
      const mid = tick();
      await store.transaction((s) => s.write([op('Observation', 'o', '1', {})]));
      await store.transaction((s) => s.write([op('Patient', 'a', '2', {})]));
      const all = await store.history({ count: 10 });
      expect(all.map((h) => `${h.resourceType}/${h.id}/${h.versionId}`)).toEqual([
        'Patient/a/2',
        'Observation/o/1',
        'Patient/c/1',
        'Patient/b/1',
        'Patient/a/1',
      ]);
      const page1 = await store.history({ count: 2 });
      const page2 = await store.history({ count: 2, beforeStoreVersion: page1[1].storeVersion });
      expect([...page1, ...page2].map((h) => h.storeVersion)).toEqual(all.slice(0, 4).map((h) => h.storeVersion));
      expect((await store.history({ resourceType: 'Patient', count: 10 })).length).toBe(4);
      expect((await store.history({ since: mid, count: 10 })).map((h) => h.id)).toEqual(['a', 'o']);
      expect((await store.history({ resourceType: 'Patient', id: 'a', at: mid, count: 10 })).map((h) => h.versionId)).toEqual(['1']);
      expect(await store.historyCount({ resourceType: 'Patient' })).toBe(4);
    });

    it('searches by index rows and compartments, never returning deleted resources', async () => {
      await store.transaction((s) =>
        s.write([
          op('Observation', 'o1', '1', {}, { index: [token('code', 'http://loinc.org', '8867-4')], compartments: ['Patient/p1'] }),
          op('Observation', 'o2', '1', {}, { index: [token('code', 'http://loinc.org', '8480-6')], compartments: ['Patient/p1'] }),
          op('Observation', 'o3', '1', {}, { index: [token('code', 'http://loinc.org', '8867-4')], compartments: ['Patient/p2'] }),
        ])
      );
      const ids = async (where: Parameters<Store['search']>[0]['where']) =>
        (await store.search({ resourceTypes: ['Observation'], where, count: 10, total: 'accurate' })).records.map((r) => r.id).sort();
      expect(await ids([{ kind: 'token', code: 'code', system: 'http://loinc.org', value: '8867-4' }])).toEqual(['o1', 'o3']);
      expect(await ids([{ kind: 'token', code: 'code', value: '8867-4' }, { kind: 'compartment', compartments: ['Patient/p1'] }])).toEqual(['o1']);
      expect(await ids([{ kind: 'token', code: 'code', system: null, value: '8867-4' }])).toEqual([]);
      expect(await ids([{ kind: 'id', ids: ['o2', 'nope'] }])).toEqual(['o2']);
      await store.transaction((s) =>
        s.write([{ ...op('Observation', 'o1', '2', {}), deleted: true, method: 'DELETE', json: undefined, expectedVersionId: '1' }])
      );
      expect(await ids([{ kind: 'token', code: 'code', value: '8867-4' }])).toEqual(['o3']);
      expect(await ids([{ kind: 'compartment', compartments: ['Patient/p1'] }])).toEqual(['o2']);
    });

    it('purges the versions of one type up to a store version, with the resources and index rows they leave current', async () => {
      const code = (c: string) => ({ index: [token('code', null, c)], compartments: ['Patient/p1'] });
      await store.transaction((s) => s.write([op('Observation', 'a', '1', {}, code('x'))]));
      const [b1] = await store.transaction((s) => s.write([op('Observation', 'b', '1', {}, code('x'))]));
      await store.transaction((s) => s.write([op('Patient', 'p1', '1', {})]));
      await store.transaction((s) => s.write([op('Observation', 'a', '2', {}, code('x'))]));
      const removed = await store.transaction((s) => s.purge('Observation', b1.storeVersion));
      expect(removed).toBe(2);
      expect(await store.readCurrent('Observation', 'b')).toBeUndefined();
      expect(await store.readVersion('Observation', 'a', '1')).toBeUndefined();
      expect((await store.readCurrent('Observation', 'a'))?.versionId).toBe('2');
      expect((await store.readCurrent('Patient', 'p1'))?.versionId).toBe('1');
      expect((await store.history({ count: 10 })).map((h) => `${h.resourceType}/${h.id}/${h.versionId}`)).toEqual(['Observation/a/2', 'Patient/p1/1']);
      const found = await store.search({ resourceTypes: ['Observation'], where: [{ kind: 'token', code: 'code', value: 'x' }, { kind: 'compartment', compartments: ['Patient/p1'] }], count: 10, total: 'accurate' });
      expect([found.total, found.records.map((r) => r.id)]).toEqual([1, ['a']]);
      // what comes after is written as before
      await store.transaction((s) => s.write([op('Observation', 'c', '1', {}, code('x'))]));
      expect((await store.search({ resourceTypes: ['Observation'], where: [{ kind: 'token', code: 'code', value: 'x' }], count: 10, total: 'none' })).records.map((r) => r.id).sort()).toEqual(['a', 'c']);
      await expect(store.transaction((s) => s.purge('Observation', 0))).resolves.toBe(0);
    });

    it("agrees with the guard's in-memory matcher on every predicate a grant can hold", async () => {
      const registry = getRegistry();
      const base = 'http://localhost:8080/fhir';
      const resources: Resource[] = [
        { resourceType: 'Observation', id: 'v1', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] }, subject: { reference: 'Patient/p1' }, effectiveDateTime: '2026-03-01T10:00:00Z', valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } },
        { resourceType: 'Observation', id: 'l1', status: 'amended', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }], code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }], text: 'Glucose' }, subject: { reference: `${base}/Patient/p2` }, performer: [{ reference: 'Patient/p1' }], effectiveDateTime: '2025-12-31' },
        { resourceType: 'Observation', id: 'n1', status: 'final', code: { text: 'note' }, subject: { reference: 'Group/g1' }, meta: { tag: [{ system: 'urn:t', code: 'x' }], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] } },
      ] as Resource[];
      const versions = resources.map((r) => {
        const index = extractIndexRows(registry, r, base);
        return { resourceType: r.resourceType, id: r.id as string, index, compartments: patientCompartments(registry, r, index) };
      });
      await store.transaction((s) => s.write(versions.map((v, n) => op('Observation', v.id, '1', resources[n] as never, { index: v.index, compartments: v.compartments }))));
      const config = loadConfig({ LOG_LEVEL: 'silent' });
      const queries = [
        'category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
        'category=laboratory,vital-signs',
        'code=http://loinc.org|',
        'code:text=heart',
        'status:not=final',
        'status=final,amended',
        'subject=Patient/p2',
        'patient=p1',
        'date=ge2026-01-01',
        'date=lt2026-01-01',
        'value-quantity=gt70||/min',
        '_tag=urn:t|x',
        '_security:not=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R',
        'category:missing=true',
        '_id=v1,n1',
      ];
      const sizes = new Set<number>();
      for (const query of queries) {
        const where = parseSearch(registry, ['Observation'], [...new URLSearchParams(query)], config, { handling: 'strict', baseUrl: base, now: Date.now() }).where;
        for (const extra of [[], [{ kind: 'compartment' as const, compartments: ['Patient/p1', 'Patient/p9'] }]]) {
          const all = [...where, ...extra];
          const searched = (await store.search({ resourceTypes: ['Observation'], where: all, count: 10, total: 'none' })).records.map((r) => r.id).sort();
          const matched = versions.filter((v) => matches(all, v)).map((v) => v.id).sort();
          expect({ query, extra: extra.length, ids: matched }).toEqual({ query, extra: extra.length, ids: searched });
          sizes.add(searched.length);
        }
      }
      // the queries select none, some and all of the resources: the comparison is not vacuous
      expect([...sizes].sort()).toEqual([0, 1, 2, 3]);
    });

    it('replaces index rows when a resource changes', async () => {
      await store.transaction((s) => s.write([op('Patient', 'p', '1', {}, { index: [token('gender', null, 'male')] })]));
      await store.transaction((s) => s.write([op('Patient', 'p', '2', {}, { index: [token('gender', null, 'female')] })]));
      const find = async (g: string) =>
        (await store.search({ resourceTypes: ['Patient'], where: [{ kind: 'token', code: 'gender', value: g }], count: 5, total: 'none' })).records.length;
      expect(await find('male')).toBe(0);
      expect(await find('female')).toBe(1);
    });

    it('pages search results: every match exactly once', async () => {
      await store.transaction((s) => s.write(Array.from({ length: 25 }, (_, i) => op('Patient', `p${String(i).padStart(2, '0')}`, '1', {}))));
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await store.search({ resourceTypes: ['Patient'], where: [], count: 10, after, total: 'accurate' });
        expect(page.total).toBe(25);
        seen.push(...page.records.map((r) => r.id));
        after = page.next;
      } while (after);
      expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`));
    });

    it('counts an estimate up to the cap and gives no total beyond it; an accurate total always', async () => {
      const gender = (g: string): IndexRow => ({ type: 'token', code: 'gender', system: null, value: g, text: null });
      // TOTAL_ESTIMATE_CAP men and one woman: the men are exactly at the cap, everyone is beyond it
      await store.transaction((s) =>
        s.write(Array.from({ length: TOTAL_ESTIMATE_CAP + 1 }, (_, i) => op('Patient', `c${i}`, '1', {}, { index: [gender(i === 0 ? 'female' : 'male')] })))
      );
      const search = (value: string | undefined, total: 'estimate' | 'accurate', count = 10) =>
        store.search({ resourceTypes: ['Patient'], where: value ? [{ kind: 'token', code: 'gender', value }] : [], count, total });
      const everyone = await search(undefined, 'estimate');
      expect(everyone.total).toBeUndefined();
      expect(everyone.records).toHaveLength(10);
      expect(everyone.next).toBeDefined();
      expect((await search(undefined, 'estimate', 0)).total).toBeUndefined();
      expect((await store.search({ resourceTypes: ['Patient'], where: [], count: 10, after: everyone.next, total: 'estimate' })).total).toBeUndefined();
      expect((await search(undefined, 'accurate')).total).toBe(TOTAL_ESTIMATE_CAP + 1);
      expect((await search(undefined, 'accurate', 0)).total).toBe(TOTAL_ESTIMATE_CAP + 1);
      expect((await search('male', 'estimate')).total).toBe(TOTAL_ESTIMATE_CAP);
      expect((await search('male', 'estimate', 0)).total).toBe(TOTAL_ESTIMATE_CAP);
      expect((await search('female', 'estimate')).total).toBe(1);
    });

    it('sorts on index values with missing ones last, and pages forwards and back in that order', async () => {
      const given = (v: string): IndexRow => ({ type: 'string', code: 'given', value: v, exact: v });
      // p0..p5: given g5..g0, p6 and p7 without a given name
      await store.transaction((s) =>
        s.write(Array.from({ length: 8 }, (_, i) => op('Patient', `p${i}`, '1', {}, { index: i < 6 ? [given(`g${5 - i}`)] : [] })))
      );
      const walk = async (descending: boolean) => {
        const pages: string[][] = [];
        let page = await store.search({ resourceTypes: ['Patient'], where: [], sort: [{ code: 'given', type: 'string', descending }], count: 3, total: 'none' });
        pages.push(page.records.map((r) => r.id));
        while (page.next) {
          page = await store.search({ resourceTypes: ['Patient'], where: [], sort: [{ code: 'given', type: 'string', descending }], count: 3, after: page.next, total: 'none' });
          pages.push(page.records.map((r) => r.id));
        }
        const back: string[][] = [];
        while (page.previous) {
          page = await store.search({ resourceTypes: ['Patient'], where: [], sort: [{ code: 'given', type: 'string', descending }], count: 3, after: page.previous, total: 'none' });
          back.unshift(page.records.map((r) => r.id));
        }
        expect(back).toEqual(pages.slice(0, -1));
        return pages.flat();
      };
      expect(await walk(false)).toEqual(['p5', 'p4', 'p3', 'p2', 'p1', 'p0', 'p6', 'p7']);
      expect(await walk(true)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    });

    it('treats index values as data: operator-like strings match only themselves', async () => {
      await store.transaction((s) => s.write([op('Patient', 'p', '1', {}, { index: [token('identifier', 'urn:x', '{"$ne":null}')] })]));
      const count = async (value: string) =>
        (await store.search({ resourceTypes: ['Patient'], where: [{ kind: 'token', code: 'identifier', value }], count: 5, total: 'none' })).records.length;
      expect(await count('{"$ne":null}')).toBe(1);
      expect(await count("' OR 1=1 --")).toBe(0);
      expect(await count('%')).toBe(0);
    });

    describe('signed cursors', () => {
      const given = (v: string): IndexRow => ({ type: 'string', code: 'given', value: v, exact: v });
      const plan = (after?: string, extra: Partial<SearchPlan> = {}): SearchPlan => ({
        resourceTypes: ['Patient'],
        where: [{ kind: 'string', code: 'given', match: 'start', value: 'g' }],
        count: 2,
        total: 'accurate',
        ...(after ? { after } : {}),
        ...extra,
      });
      const seedFive = () => store.transaction((s) => s.write(Array.from({ length: 5 }, (_, i) => op('Patient', `c${i}`, '1', {}, { index: [given(`g${i}`)] }))));
      const edit = (cursor: string, change: (c: any) => void) => {
        const [payload, signature] = cursor.split('.');
        const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        change(c);
        return `${Buffer.from(JSON.stringify(c)).toString('base64url')}.${signature}`;
      };

      it('refuse a cursor that was edited, made up, or belongs to another search', async () => {
        await seedFive();
        const first = await store.search(plan());
        expect(first.total).toBe(5);
        const next = first.next as string;
        expect((await store.search(plan(next))).total).toBe(5);
        for (const bad of [edit(next, (c) => (c.t = 99)), edit(next, (c) => (c.m += 1)), next.split('.')[0], `${next}x`, `${next.split('.')[0]}.${'A'.repeat(43)}`]) {
          await expect(store.search(plan(bad))).rejects.toBeInstanceOf(InvalidCursorError);
        }
        await expect(store.search(plan(next, { resourceTypes: ['Observation'] }))).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.search(plan(next, { where: [{ kind: 'string', code: 'given', match: 'start', value: 'h' }] }))).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.search(plan(next, { where: [] }))).rejects.toBeInstanceOf(InvalidCursorError);
      });

      it("refuse another store's cursors", async () => {
        await seedFive();
        const next = (await store.search(plan())).next as string;
        const other = await open();
        try {
          await other.transaction((s) => s.write(Array.from({ length: 5 }, (_, i) => op('Patient', `c${i}`, '1', {}, { index: [given(`g${i}`)] }))));
          await expect(other.search(plan(next))).rejects.toBeInstanceOf(InvalidCursorError);
        } finally {
          await other.close();
        }
      });

      if (reopen) {
        it('keep working after the store is closed and reopened', async () => {
          await seedFive();
          const next = (await store.search(plan())).next as string;
          store = await reopen(store);
          const page = await store.search(plan(next));
          expect([page.total, page.records.length]).toEqual([5, 2]);
        });
      }

      if (share) {
        it('work in every store open on the same data', async () => {
          await seedFive();
          const next = (await store.search(plan())).next as string;
          const second = await share(store);
          try {
            const page = await second.search(plan(next));
            expect([page.total, page.records.length]).toEqual([5, 2]);
            const back = await store.search(plan(page.next));
            expect(back.records.map((r) => r.id)).toEqual(['c4']);
          } finally {
            await second.close();
          }
        });
      }
    });

    if (reopen) {
      it('keeps committed data across close and reopen', async () => {
        await store.transaction((s) => s.write([op('Patient', 'kept', '1', { active: true })]));
        store = await reopen(store);
        expect((await store.readCurrent('Patient', 'kept'))?.versionId).toBe('1');
      });
    }
  });
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { getRegistry } from '../../src/definitions/registry';
import type { RequestContext } from '../../src/fhir/context';
import { emptyHooks } from '../../src/fhir/hooks';
import { GuardedStore } from '../../src/guard/guarded-store';
import { parseSearch } from '../../src/search/parse';
import type { SearchPlan } from '../../src/search/plan';
import { searchOptions } from '../../src/fhir/search/run';
import { SqliteStore } from '../../src/storage/sqlite/store';

/**
 * Every main query shape seeks on an index: no line of the plan scans a table (SQLite reports a
 * full scan as "SCAN <table>"; an index seek as "SEARCH ... USING ... INDEX").
 */
describe('query plans of the main search shapes use indexes', () => {
  let store: SqliteStore;
  let dir: string;
  let ctx: RequestContext;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-plan-'));
    store = new SqliteStore({ dataDir: dir });
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    ctx = { requestId: 't', baseUrl: config.baseUrl, config, registry: getRegistry(), store: GuardedStore.system({ main: store }, 'test', { registry: getRegistry(), baseUrl: config.baseUrl }), hooks: emptyHooks(), log: undefined as never, now: () => new Date() };
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const plan = (type: string, query: string): SearchPlan => {
    const parsed = parseSearch(ctx.registry, [type], [...new URLSearchParams(query)], ctx.config, searchOptions(ctx, 'strict'));
    return { resourceTypes: [type], where: parsed.where, sort: parsed.sort, count: parsed.count, total: 'none' };
  };

  it.each([
    ['Observation', 'patient=Patient/123&code=http://loinc.org|1234-5'],
    ['Observation', 'subject=123&code=1234-5&date=ge2020-01-01'],
    ['Patient', 'identifier=urn:oid:1.2.3|A-1'],
    ['Patient', 'family=smi'],
    ['Patient', 'name:exact=Smith'],
    ['Patient', 'birthdate=2020-01'],
    ['Observation', 'date=ge2020-01-01&date=lt2020-02-01'],
    ['Observation', 'value-quantity=gt5.4|http://unitsofmeasure.org|mg'],
    ['Observation', 'subject.name=peter'],
    ['Observation', 'patient.identifier=urn:x|1'],
    ['Patient', '_has:Observation:patient:code=1234-5'],
    ['Observation', 'code=1234-5&_sort=-date'],
    ['Coverage', 'beneficiary=Patient/1&status=active'],
    ['ExplanationOfBenefit', 'patient=Patient/1&created=ge2025'],
    ['ExplanationOfBenefit', 'patient=Patient/1&_sort=-_lastUpdated'],
    ['Observation', 'status=final'],
    ['Observation', '_sort=-_lastUpdated'],
    ['Observation', '_sort=_id'],
  ])('%s?%s', (type, query) => {
    const lines = store.explain(plan(type, query));
    expect(lines.filter((l) => /^SCAN /.test(l))).toEqual([]);
    // a selective term drives through the rid list, never a walk over every resource of the type
    if (/patient=|identifier=|subject=/.test(query)) expect(lines[0]).toMatch(/rid=\?/);
    // with no selective term, a column sort is read in index order: no sort of all matches
    if (/^_sort=(-_lastUpdated|_id)$/.test(query)) expect(lines.some((l) => /TEMP B-TREE FOR ORDER BY/.test(l))).toBe(false);
    expect(lines.some((l) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(l))).toBe(true);
  });

  it('a chain checked per candidate seeks the candidate\'s own reference rows, not one seek per target', () => {
    const lines = store.explain(plan('Encounter', 'patient.gender=male&patient.birthdate=gt1980-01-01'));
    const checks = lines.filter((l) => /^SEARCH idx_reference EXISTS/.test(l));
    expect(checks).toEqual([expect.stringMatching(/\(rid=\? AND code=\?\)$/)]);
  });

  // no statistics: a reference or an identifier names few resources, a code may be shared by most of the type
  it.each([
    ['Observation', 'code=http://loinc.org|8867-4&patient=Patient/123', 'idx_reference', 'idx_token'],
    ['Observation', 'patient=Patient/123&code=http://loinc.org|8867-4', 'idx_reference', 'idx_token'],
  ])('%s?%s is driven by the reference whatever the order', (type, query, driving, checked) => {
    const lines = store.explain(plan(type, query));
    expect(lines.filter((l) => /^SEARCH idx_/.test(l) && !/EXISTS/.test(l))).toEqual([expect.stringMatching(new RegExp(`^SEARCH ${driving} USING`))]);
    expect(lines.filter((l) => / EXISTS /.test(l))).toEqual([expect.stringMatching(new RegExp(`^SEARCH ${checked} EXISTS`))]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { upsertResources } from '../../src/bulk/loader';
import type { RequestContext } from '../../src/fhir/context';
import { emptyHooks } from '../../src/fhir/hooks';
import type { Resource } from '../../src/fhir/types';
import { getRegistry } from '../../src/definitions/registry';
import { GuardedStore } from '../../src/guard/guarded-store';
import { createLogger } from '../../src/logging';
import { startTestServer, type TestServer } from '../helpers/server';
import { ASYNC, pathOf } from './helpers';

/**
 * A large export streams: 20,000 resources (about 40 MB of NDJSON) pass through pages of 500, and
 * the heap does not grow with the export (it holds one page at a time).
 */
jest.setTimeout(180_000);

const N = 20_000;

/** A full collection on demand, so what is measured is what the export retains, not garbage not yet collected. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('a large export', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ EXPORT_WORKERS: '0', EXPORT_PAGE_SIZE: '500' });
    const base = { baseUrl: t.config.baseUrl, config: t.config, registry: getRegistry(), hooks: emptyHooks(), now: () => new Date() };
    const ctx: RequestContext = { ...base, requestId: 'load', store: GuardedStore.system({ main: t.server.store }, 'bulk-import', base), log: createLogger({ logLevel: 'silent' }) };
    const note = 'x'.repeat(1500);
    for (let b = 0; b < N / 1000; b++) {
      const batch = Array.from({ length: 1000 }, (_, i): Resource => {
        const n = b * 1000 + i;
        return { resourceType: 'Observation', id: `o${n}`, status: 'final', code: { text: `code ${n % 50}` }, subject: { reference: `Patient/p${n % 100}` }, note: [{ text: note }] } as Resource;
      });
      const { refused } = await upsertResources(ctx, batch);
      expect(refused).toEqual([]);
    }
  });
  afterAll(() => t.close());

  it('exports every resource with a heap that stays flat', async () => {
    const kick = await t.http.get('/fhir/$export?_type=Observation').set(ASYNC);
    expect(kick.status).toBe(202);
    gc();
    const start = process.memoryUsage().heapUsed;
    let peak = start;
    const samples: number[] = [];
    t.server.exports.runner.onPage = () => {
      gc();
      const used = process.memoryUsage().heapUsed;
      samples.push(used);
      peak = Math.max(peak, used);
    };
    await t.server.exports.tick();
    t.server.exports.runner.onPage = undefined;
    const done = await t.http.get(pathOf(kick.headers['content-location']));
    expect(done.status).toBe(200);
    const total = done.body.output.reduce((n: number, o: { count: number }) => n + o.count, 0);
    expect(total).toBe(N);
    const id = pathOf(kick.headers['content-location']).split('/').pop() as string;
    const dir = path.join(t.dataDir, 'export', id);
    const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    expect(bytes).toBeGreaterThan(N * 1500);
    // one page is ~1 MB of JSON text, the whole export ~35 MB: after each page the heap retains less
    // than a few pages' worth, and the last pages retain no more than the first ones did
    expect(samples.length).toBeGreaterThanOrEqual(N / 500);
    expect(peak - start).toBeLessThan(8 * 1024 * 1024);
    const early = Math.max(...samples.slice(0, 5));
    const late = Math.max(...samples.slice(-5));
    expect(late - early).toBeLessThan(2 * 1024 * 1024);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config';
import { getRegistry } from '../definitions/registry';
import type { RequestContext } from '../fhir/context';
import { emptyHooks } from '../fhir/hooks';
import { GuardedStore } from '../guard/guarded-store';
import { SqliteStore } from '../storage/sqlite/store';
import { BulkLoader } from './loader';

/** Resources from files pass the checks a request body does: ids, element names. */
describe('bulk loader refusals', () => {
  let dir: string;
  let store: SqliteStore;
  let ctx: RequestContext;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulk-loader-'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', FHIR_AUTH: 'none' });
    store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL' });
    ctx = {
      requestId: 'test',
      baseUrl: config.baseUrl,
      config,
      registry: getRegistry(),
      store: GuardedStore.system({ main: store }, 'bulk-import', { registry: getRegistry(), baseUrl: config.baseUrl }),
      hooks: emptyHooks(),
      log: pino({ level: 'silent' }),
      now: () => new Date(),
    };
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const load = async (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    const errorFile = path.join(dir, `${name}.errors.ndjson`);
    const loader = new BulkLoader(ctx, { batchSize: 10, checkpointFile: path.join(dir, `${name}.checkpoint.json`), errorFile });
    await loader.loadFile(file);
    const errors = fs.existsSync(errorFile) ? fs.readFileSync(errorFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
    return { stats: loader.stats, errors };
  };

  it('refuses NDJSON resources with Object.prototype member names or ids that are not FHIR ids, and loads the rest', async () => {
    const lines: Record<string, unknown>[] = [
      { resourceType: 'Patient', id: 'fine', name: [{ family: 'Kept' }] },
      { resourceType: 'Patient', id: 'ctor', constructor: { name: 'x' } },
      { resourceType: 'Patient', id: 'deep', contact: [{ name: { family: 'F', toString: 'y' } }] },
      { resourceType: 'Patient', id: '..' },
      { resourceType: 'Patient', id: '.' },
      { resourceType: 'Patient' },
    ];
    const { stats, errors } = await load('in.ndjson', lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + '{"resourceType":"Patient","id":"proto","__proto__":{"active":true}}\n');
    expect(stats).toMatchObject({ written: 1, failed: 6 });
    const said = errors.map((o) => o.issue[0]);
    expect(said.map((i) => i.diagnostics.split(':')[0])).toEqual(['Patient/ctor', 'Patient/deep', 'Patient/..', 'Patient/.', 'Patient/undefined', 'Patient/proto']);
    expect(said[0]).toMatchObject({ code: 'structure', expression: ['Patient.constructor'] });
    expect(said[1]).toMatchObject({ code: 'structure', expression: ['Patient.contact[0].name.toString'] });
    expect(said[5]).toMatchObject({ code: 'structure', expression: ['Patient.__proto__'] });
    expect(said[2].diagnostics).toMatch(/Invalid id/);
    expect((await store.readCurrent('Patient', 'fine'))?.versionId).toBe('1');
    for (const id of ['ctor', 'deep', '..', '.', 'proto']) expect(await store.readCurrent('Patient', id)).toBeUndefined();
  });

  it('refuses such entries of a Bundle file; a fullUrl ending in dots does not become the id', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'http://example.org/fhir/Patient/..', resource: { resourceType: 'Patient', name: [{ family: 'Dots' }] } },
        { fullUrl: 'urn:uuid:4c4a3bc2-1f55-4b1a-9d0e-6f1d6e1b2a31', resource: { resourceType: 'Patient', id: '...' } },
        { resource: { resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x', valueOf: 1 } } },
      ],
    };
    const { stats, errors } = await load('bundle.json', JSON.stringify(bundle));
    expect(stats).toMatchObject({ written: 1, failed: 2 });
    expect(errors.map((o) => o.issue[0].diagnostics.split(':')[0])).toEqual(['Patient/...', 'Observation/o']);
    const page = await store.search({ resourceTypes: ['Patient'], where: [{ kind: 'string', code: 'family', match: 'start', value: 'dots' }], count: 5, total: 'none' });
    expect(page.records).toHaveLength(1);
    expect(page.records[0].id).not.toMatch(/^\.+$/);
  });
});

/**
 * npm run reindex [-- Type1,Type2]: re-extracts the search-index rows of every current resource in
 * the store under DATA_DIR with the SearchParameters known now (after the guide added or changed
 * some, or after an upgrade changed the index layout). Safe to run while the server is up.
 */
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config';
import { getRegistry } from '../src/definitions/registry';
import { reindex } from '../src/operations/reindex';
import { SqliteStore } from '../src/storage/sqlite/store';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const registry = getRegistry();
  const types = process.argv[2]?.split(',').filter(Boolean);
  for (const t of types ?? []) {
    if (!registry.isResourceType(t)) {
      console.error(`Unknown resource type ${t}`);
      return 2;
    }
  }
  const store = new SqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
  const bar = new SingleBar({ format: 'reindex [{bar}] {value}/{total} resources', hideCursor: true }, Presets.shades_classic);
  let started = false;
  try {
    const result = await reindex({ registry, store }, {
      types,
      onBatch: (done, total) => {
        if (!started && process.stderr.isTTY) bar.start(total, 0);
        started = true;
        if (process.stderr.isTTY) bar.update(done);
      },
    });
    if (process.stderr.isTTY && started) bar.stop();
    console.log(`Reindexed ${result.updated} of ${result.resources} resources in ${config.dataDir}`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  }
);

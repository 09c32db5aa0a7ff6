import { SingleBar, Presets } from 'cli-progress';
import { commandConfig, parseCommandLine, runCommand, UsageError } from './command';
import { getRegistry } from '../definitions/registry';
import { reindex } from '../operations/reindex';
import { createStore } from '../storage';

const USAGE = `Usage: npm run reindex [-- Type1,Type2]
Re-extracts the search-index rows of every current resource (or of the given types) in the store
configured by DATA_DIR with the SearchParameters known now: after the implementation guide added or
changed some, or after an upgrade changed the index layout. Safe to run while the server is up.`;

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseCommandLine(argv, {}, true);
  if (positionals.length > 1) throw new UsageError(`one comma-separated list of types, got ${positionals.length} arguments`);
  const config = commandConfig();
  const registry = getRegistry();
  const types = positionals[0]?.split(',').filter(Boolean);
  const unknown = (types ?? []).filter((t) => !registry.isResourceType(t));
  if (unknown.length) throw new UsageError(`not an R4 resource type: ${unknown.join(', ')}`);
  const store = await createStore(config);
  try {
    const bar = new SingleBar({ format: 'reindex [{bar}] {value}/{total} resources', hideCursor: true }, Presets.shades_classic);
    const tty = process.stderr.isTTY;
    let started = false;
    const result = await reindex({ registry, store, maintenance: store, baseUrl: config.baseUrl }, {
      types,
      onBatch: (done, total) => {
        if (tty && !started) bar.start(total, 0);
        started = true;
        if (tty) bar.update(done);
      },
    });
    if (tty && started) bar.stop();
    console.log(`Reindexed ${result.updated} of ${result.resources} resources in ${config.dataDir}`);
    return 0;
  } finally {
    await store.close();
  }
}

runCommand(USAGE, main);

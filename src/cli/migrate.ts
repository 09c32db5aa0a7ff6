import { createStore } from '../storage';
import { INDEXES } from '../storage/mongo/documents';
import { commandConfig, parseCommandLine, runCommand } from './command';

const USAGE = `Usage: npm run migrate
Brings the configured store up to date before the server starts on it. With MONGODB_URI set: checks
that the deployment runs transactions (a replica set or a sharded cluster) and creates the indexes
docs/scaling.md lists in MONGODB_DB (existing ones are left as they are). Without it: applies the
embedded store's schema migrations in DATA_DIR. The server does the same at start.`;

async function main(argv: string[]): Promise<number> {
  parseCommandLine(argv, {});
  const config = commandConfig();
  const store = await createStore(config);
  try {
    if (store.kind === 'mongodb') {
      for (const [collection, indexes] of Object.entries(INDEXES)) {
        console.log(`${config.mongodbDb}.${collection}: ${indexes.map((i) => i.name).join(', ')}`);
      }
    } else console.log(`${store.kind} store in ${config.dataDir}: schema up to date`);
    return 0;
  } finally {
    await store.close();
  }
}

runCommand(USAGE, main);

import path from 'node:path';
import { AuditAppender } from '../audit/appender';
import { loadCheckpointSigner, loadVerificationKeys, PUBLIC_KEY_FILE } from '../audit/checkpoint';
import { HEAD_FILE, trailHead } from '../audit/head';
import { pruneTrail, PruneRefused } from '../audit/prune';
import { getRegistry } from '../definitions/registry';
import { createAuditStore } from '../storage';
import { CommandError, commandConfig, parseCommandLine, runCommand } from './command';

const USAGE = `Usage: npm run audit:prune -- [--dry-run] [--key audit-key.pub.json]
Removes from the audit trail of DATA_DIR (or of MONGODB_URI) the records older than
FHIR_AUDIT_RETENTION_DAYS, up to the newest signed checkpoint older than that (never the newest
record). It first verifies the whole trail and refuses (exit 1) if it is not intact. What it removed is
recorded in the trail, and a signed anchor lets audit:verify check the rest ("pruned before seq N").
Run it from cron, e.g. daily; without FHIR_AUDIT_RETENTION_DAYS it removes nothing.
--dry-run: say what would be removed.  --key: the public key file (default DATA_DIR/${PUBLIC_KEY_FILE}).`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { 'dry-run': { type: 'boolean' }, key: { type: 'string' } });
  const config = commandConfig();
  if (config.auditRetentionDays === undefined) {
    console.log('FHIR_AUDIT_RETENTION_DAYS is not set: the audit trail is kept forever; nothing pruned');
    return 0;
  }
  const keys = await loadVerificationKeys(values.key ?? path.join(config.dataDir, PUBLIC_KEY_FILE));
  const store = await createAuditStore(config);
  try {
    const signer = await loadCheckpointSigner(config.dataDir);
    const headStore = trailHead(config.dataDir, store);
    const appender = new AuditAppender(store, { baseUrl: config.baseUrl, config, registry: getRegistry(), now: () => new Date() }, signer, undefined, headStore);
    const where = config.mongodbUri ? 'the audit_head collection' : path.join(config.dataDir, HEAD_FILE);
    const result = await pruneTrail({ store, appender, signer, keys, head: { jws: await headStore.read(), where }, retentionDays: config.auditRetentionDays, now: new Date(), dryRun: values['dry-run'] });
    if (result.nothing) console.log(`nothing to prune: ${result.nothing}`);
    else console.log(`${values['dry-run'] ? 'would remove' : 'removed'} ${result.removed} audit records, up to seq ${result.anchor?.seq}; the trail ${values['dry-run'] ? 'would start' : 'now starts'} after it`);
    return 0;
  } catch (err) {
    if (err instanceof PruneRefused) throw new CommandError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

runCommand(USAGE, main);

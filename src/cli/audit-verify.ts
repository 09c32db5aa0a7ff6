import path from 'node:path';
import { loadVerificationKeys, PUBLIC_KEY_FILE } from '../audit/checkpoint';
import { HEAD_FILE, trailHead } from '../audit/head';
import { verifyTrail } from '../audit/verify';
import { createAuditStore } from '../storage';
import { configOrExit, parseCommandLine, runCommand } from './command';

const USAGE = `Usage: npm run audit:verify -- [--key audit-key.pub.json]
Walks the audit trail of DATA_DIR (or of MONGODB_URI) record by record and checks the hash chain and
every signed checkpoint, and that the trail still reaches the signed head kept outside it
(DATA_DIR/${HEAD_FILE}, or the audit_head collection). Exit 0: intact; exit 1: names the first record
changed, removed or inserted, or the newest records missing (truncated).
--key: the public key file to check signatures with (default DATA_DIR/${PUBLIC_KEY_FILE}; keep a copy
away from the server).`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { key: { type: 'string' } });
  const config = configOrExit();
  const keys = await loadVerificationKeys(values.key ?? path.join(config.dataDir, PUBLIC_KEY_FILE));
  const store = await createAuditStore(config);
  try {
    // the head is read before the walk: one written meanwhile could name records the walk started too early to see
    const where = config.mongodbUri ? 'the audit_head collection' : path.join(config.dataDir, HEAD_FILE);
    const report = await verifyTrail(store, keys, { head: { jws: await trailHead(config.dataDir, store).read(), where } });
    if (report.problem) {
      console.log(`audit trail NOT intact: ${report.problem.kind}: ${report.problem.detail}`);
      console.log(`(${report.records} records and ${report.checkpoints} checkpoints read up to there)`);
      return 1;
    }
    const pruned = report.anchor ? `, pruned before seq ${report.anchor.seq + 1} (anchor signed at ${report.anchor.time})` : '';
    console.log(`audit trail intact: ${report.records} records, ${report.checkpoints} signed checkpoints${pruned}${report.head ? `, reaches the head signed at ${report.head.time} (seq ${report.head.seq})` : ''}`);
    return 0;
  } finally {
    await store.close();
  }
}

runCommand(USAGE, main);

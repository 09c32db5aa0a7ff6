import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { oldestFirst } from '../audit/verify';
import { createAuditStore } from '../storage';
import { configOrExit, runCommand } from './command';

const USAGE = `Usage: npm run audit:export -- [--since 2026-12-01T00:00:00Z] [--out trail.ndjson]
Writes the audit trail of DATA_DIR (or of MONGODB_URI) as NDJSON, one AuditEvent per line, oldest
first, for a security-operations system: every event recorded at or after --since (default: all),
to --out (default: standard output). The events are exported as stored, query strings included.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { since: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const since = values.since ? new Date(values.since) : undefined;
  if (since && Number.isNaN(since.getTime())) {
    console.error(`--since takes a date or instant, got "${values.since}"\n\n${USAGE}`);
    return 2;
  }
  const config = configOrExit();
  const store = await createAuditStore(config);
  const out: NodeJS.WritableStream = values.out ? fs.createWriteStream(values.out) : process.stdout;
  let n = 0;
  try {
    for await (const page of oldestFirst(store, 'AuditEvent', since?.toISOString())) {
      const text = page.filter((v) => v.json).map((v) => v.json).join('\n') + '\n';
      n += page.length;
      if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  } finally {
    await store.close();
    if (values.out) await new Promise<void>((r) => out.end(() => r()));
  }
  console.error(`${n} AuditEvents exported${values.out ? ` to ${values.out}` : ''}`);
  return 0;
}

runCommand(() => main());

import fs from 'node:fs';
import { oldestFirst } from '../audit/verify';
import { createAuditStore } from '../storage';
import { configOrExit, parseCommandLine, runCommand, UsageError } from './command';

const USAGE = `Usage: npm run audit:export -- [--since 2026-12-01T00:00:00Z] [--out trail.ndjson]
Writes the audit trail of DATA_DIR (or of MONGODB_URI) as NDJSON, one AuditEvent per line, oldest
first, for a security-operations system: every event recorded at or after --since (default: all),
to --out (default: standard output). The events are exported as stored, query strings included.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { since: { type: 'string' }, out: { type: 'string' } });
  const since = values.since ? new Date(values.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since takes a date or instant, got "${values.since}"`);
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

runCommand(USAGE, main);

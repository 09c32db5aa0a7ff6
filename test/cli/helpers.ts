import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built command (dist/cli/NAME.js) as `npm run NAME` does, on the given DATA_DIR. */
export function runCli(name: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', `${name}.js`), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stack trace's frame lines, which no expected failure of a command may print. */
export const STACK_FRAME = /^\s+at .+[:(]\d+/m;

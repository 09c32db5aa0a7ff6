/**
 * What every command of src/cli shares: how it reads its command line, its configuration, and how it
 * ends. `--help` prints the usage (status 0); a wrong command line prints one line and the usage
 * (status 2); an expected failure prints one line (its own status); never a stack trace for those.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config';

/** An expected failure: its message is printed alone, and the command exits with `status`. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly status = 1
  ) {
    super(message);
  }
}

/** A command line the command does not accept: the message, then the usage, status 2. */
export class UsageError extends CommandError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The configuration from the environment; a bad setting ends the command with its message and status 2. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** Like configOrExit, for use inside a command's main (a CommandError instead of an exit). */
export function commandConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(`Configuration error: ${err.message}`, 2);
    throw err;
  }
}

/** The options and positionals of a command line; an unknown option or a missing value is a UsageError. */
export function parseCommandLine<T extends ParseArgsOptionsConfig>(args: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    // node's messages end with advice for its own API ("To specify a positional argument ... use --");
    // the first sentence is the one for a person
    const message = err instanceof Error ? err.message.split(/\. (?=To )/)[0] : String(err);
    throw new UsageError(message);
  }
}

/** An option's value as a whole number of at least `min` (undefined stays undefined). */
export function wholeNumber(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number of at least ${min}, got "${raw}"`);
  return n;
}

/** Whether the command line asks for help (before any `--` that ends the options). */
function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * Runs a command's main with its arguments and exits with its status. `--help` prints the usage and
 * exits 0 without running it; a UsageError prints its line and the usage (2), a CommandError its line
 * (its status); anything unexpected prints in full (1), as it is a bug.
 */
export function runCommand(usage: string, main: (argv: string[]) => Promise<number> | number, argv = process.argv.slice(2)): void {
  if (asksForHelp(argv)) {
    console.log(usage);
    process.exit(0);
  }
  Promise.resolve()
    .then(() => main(argv))
    .then(
      (code) => process.exit(code),
      (err) => {
        if (err instanceof UsageError) console.error(`${err.message}\n\n${usage}`);
        else if (err instanceof CommandError) console.error(err.message);
        else console.error(err);
        process.exit(err instanceof CommandError ? err.status : 1);
      }
    );
}

/** What every command of src/cli shares: configuration from the environment, and how it ends. */
import { ConfigError, loadConfig, type Config } from '../config';

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

/** Runs a command's main and exits with its status; an unexpected error prints and exits 1. */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    }
  );
}

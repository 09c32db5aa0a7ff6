import fs from 'node:fs';

/**
 * DATA_DIR holds health data, signing keys and client secrets: what the server creates there is for
 * its owner only (directory 700, files 600), whatever the umask. A directory or file that already
 * exists keeps the mode its operator gave it.
 */
export function makePrivateDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/**
 * Creates `file` empty and private if it is missing. For a SQLite database, before opening it: SQLite
 * creates the -wal and -shm files with the mode of the database file, so all three stay private.
 */
export function createPrivateFile(file: string): void {
  if (fs.existsSync(file)) return;
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

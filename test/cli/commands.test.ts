import { buildOnce, tmpDataDir } from '../helpers/child-server';
import fs from 'node:fs';
import { runCli, STACK_FRAME } from './helpers';

/**
 * Every command answers --help with its usage (0), and a wrong command line with one line and the
 * usage (2), never a stack trace.
 */
jest.setTimeout(120_000);

const COMMANDS = ['admin', 'import', 'generate', 'bench', 'reindex', 'migrate'];

/** A wrong command line per command, and the line it must answer with. */
const WRONG: [string, string[], RegExp][] = [
  ['admin', ['client', 'list', '--bogus'], /^Unknown option '--bogus'$/],
  ['admin', ['frob'], /^unknown command: frob$/],
  ['admin', [], /^no command given$/],
  ['admin', ['client', 'add', '--id', 'x', '--type', 'private', '--scope', 'system/*.rs'], /^--type must be one of public, confidential-symmetric, confidential-asymmetric, got "private"$/],
  ['admin', ['client', 'add', '--id'], /^Option '--id <value>' argument missing$/],
  ['admin', ['user', 'add', '--username', 'u', '--fhir-user', 'Observation/1'], /^--fhir-user must be Patient\/, Practitioner\/, RelatedPerson\/ or Person\/ and an id, got "Observation\/1"$/],
  ['admin', ['user', 'list', '--administrator'], /^user list takes no --administrator$/],
  ['admin', ['user', 'remove'], /^user remove takes one user name$/],
  ['import', ['--bogus', 'x'], /^Unknown option '--bogus'$/],
  ['import', [], /^no file or folder to import$/],
  ['import', ['--batch', 'many', '.'], /^--batch takes a whole number of at least 1, got "many"$/],
  ['generate', ['--bogus'], /^Unknown option '--bogus'$/],
  ['generate', ['--persons', '0', '--out', 'x'], /^--persons takes a whole number of at least 1, got "0"$/],
  ['generate', ['--persons', '3'], /^--out is required$/],
  ['generate', ['--persons', '3', '--out', 'x', '--format', 'xml'], /^--format must be bundle, ndjson or both, got "xml"$/],
  ['generate', ['--persons', '3', '--out', 'x', '--as-of', 'yesterday'], /^--as-of takes a date YYYY-MM-DD, got "yesterday"$/],
  ['bench', ['--bogus'], /^Unknown option '--bogus'$/],
  ['bench', ['--rounds', '0'], /^--rounds takes a whole number of at least 1, got "0"$/],
  ['bench', ['--connections', 'lots'], /^--connections takes a whole number of at least 1, got "lots"$/],
  ['bench', ['--growth', '10'], /^--growth takes two or more increasing sizes in resources/],
  ['reindex', ['--bogus'], /^Unknown option '--bogus'$/],
  ['reindex', ['Patient,Nonsense'], /^not an R4 resource type: Nonsense$/],
  ['migrate', ['--bogus'], /^Unknown option '--bogus'$/],
  ['migrate', ['extra'], /^Unexpected argument 'extra'/],
];

describe('the commands', () => {
  const dataDir = tmpDataDir('fhir-cli-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it.each(COMMANDS)('%s --help prints its usage and exits 0', (name) => {
    for (const help of ['--help', '-h']) {
      const r = runCli(name, [help], { DATA_DIR: dataDir });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: npm run ${name}\\b`));
      expect(r.stderr).toBe('');
    }
  });

  it.each(WRONG)('%s %j: one line, the usage, exit 2', (name, args, line) => {
    const r = runCli(name, args, { DATA_DIR: dataDir });
    expect(r.status).toBe(2);
    const [first, blank, usage] = r.stderr.split('\n');
    expect(first).toMatch(line);
    expect(blank).toBe('');
    expect(usage).toMatch(new RegExp(`^Usage: npm run ${name}\\b`));
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout).toBe('');
  });

  it('a bad setting is one line, exit 2', () => {
    const r = runCli('migrate', [], { DATA_DIR: dataDir, SQLITE_SYNCHRONOUS: 'sometimes' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('Configuration error: SQLITE_SYNCHRONOUS must be FULL or NORMAL, got "sometimes"\n');
  });
});

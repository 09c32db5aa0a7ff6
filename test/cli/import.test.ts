import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, tmpDataDir } from '../helpers/child-server';
import { runCli, STACK_FRAME } from './helpers';

/** `npm run import`: a wrong path is one line; a rerun that the checkpoint skips says so. */
jest.setTimeout(120_000);

describe('import', () => {
  const dataDir = tmpDataDir('fhir-import-cli-');
  const env = { DATA_DIR: dataDir };
  const input = path.join(dataDir, 'in');
  beforeAll(() => {
    buildOnce();
    fs.mkdirSync(input);
    const lines = [1, 2, 3].map((i) => JSON.stringify({ resourceType: 'Patient', id: `p-${i}` }));
    fs.writeFileSync(path.join(input, 'Patient.ndjson'), `${lines.join('\n')}\n`);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('a path that does not exist: one line and the usage, exit 2', () => {
    const r = runCli('import', [path.join(dataDir, 'nowhere')], env);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`no such file or folder: ${path.join(dataDir, 'nowhere')}`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('a folder with nothing to load, or a file that is not JSON: one line, exit 2', () => {
    const empty = path.join(dataDir, 'empty');
    fs.mkdirSync(empty);
    expect(runCli('import', [empty], env)).toMatchObject({ status: 2, stderr: expect.stringMatching(/^no \*\.json or \*\.ndjson files in /) });
    const bad = path.join(dataDir, 'bad.json');
    fs.writeFileSync(bad, '{"resourceType": "Bundle",');
    const r = runCli('import', [bad], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON: .+\\n$`));
  });

  it('a rerun that the checkpoint skips entirely says so and names --restart', () => {
    const first = runCli('import', [input], env);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^1 files: 3 written, 0 unchanged, 0 refused in /m);
    const again = runCli('import', [input], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('Nothing imported: all 3 resources of 1 files were loaded by an earlier run');
    expect(again.stdout).toContain('--restart');
    expect(again.stderr).toMatch(/3\/3 resources/); // the progress bar ends full, not at 0/3
    const restarted = runCli('import', [input, '--restart'], env);
    expect(restarted.stdout).toMatch(/^1 files: 0 written, 3 unchanged, 0 refused in /m);
  });

  it('a rerun after more input was added loads the new part and counts the rest as skipped', () => {
    fs.writeFileSync(path.join(input, 'More.ndjson'), `${JSON.stringify({ resourceType: 'Patient', id: 'p-4' })}\n`);
    const r = runCli('import', [input], env);
    expect(r.stdout).toMatch(/^2 files: 1 written, 0 unchanged, 0 refused, 3 skipped as loaded by an earlier run \(--restart reads them again\) in /m);
  });
});

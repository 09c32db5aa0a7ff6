import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers';

/**
 * scripts/run.js, behind `npm start` and the command scripts: builds dist/ on a fresh clone and after
 * a change, and runs the built command straight away when dist/ is up to date.
 */
jest.setTimeout(180_000);

describe('scripts/run.js', () => {
  const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-run-'));
  const stamp = path.join(clone, 'dist', '.build-stamp');
  const run = (...args: string[]) => spawnSync(process.execPath, [path.join(clone, 'scripts', 'run.js'), ...args], { cwd: clone, encoding: 'utf8' });
  beforeAll(() => {
    // what a fresh clone has: the sources and the build configuration, no dist/
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) fs.copyFileSync(path.join(ROOT, f), path.join(clone, f));
    fs.mkdirSync(path.join(clone, 'scripts'));
    for (const f of ['run.js', 'check-node.js']) fs.copyFileSync(path.join(ROOT, 'scripts', f), path.join(clone, 'scripts', f));
    fs.cpSync(path.join(ROOT, 'src'), path.join(clone, 'src'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  });
  afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

  it('builds on a fresh clone, then runs without building while nothing changed', () => {
    const first = run('cli/migrate', '--help');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^Usage: npm run migrate/);
    const builtAt = fs.statSync(stamp).mtimeMs;

    const again = run('cli/migrate', '--help');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(fs.statSync(stamp).mtimeMs).toBe(builtAt);
  });

  it('rebuilds after a source file changed', () => {
    const file = path.join(clone, 'src', 'cli', 'migrate.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Usage: npm run migrate', 'Usage: npm run migrate (changed)'));
    const r = run('cli/migrate', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run migrate \(changed\)/);
  });

  it('does not run a build that failed (it writes no stamp, so the next run builds again)', () => {
    const file = path.join(clone, 'src', 'cli', 'migrate.ts');
    fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}\nconst broken: number = 'not a number';\n`);
    const builtAt = fs.statSync(stamp).mtimeMs;
    const r = run('cli/migrate', '--help');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain("Type 'string' is not assignable to type 'number'");
    expect(r.stdout).not.toMatch(/Usage: npm run migrate/);
    expect(fs.statSync(stamp).mtimeMs).toBe(builtAt);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * On a Node.js older than package.json's engines ask (the machines ship Node 20), `npm install` refuses
 * (.npmrc: engine-strict) and `npm start` and the command scripts print one line naming the Node that
 * is needed and exit 1, instead of 60 KB of minified code and a ReferenceError.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** A node binary on this machine older than 22, if there is one (Debian's /usr/bin/node is 20). */
function findOldNode(): string | undefined {
  const dirs = ['/usr/bin', '/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')];
  for (const dir of new Set(dirs)) {
    const bin = path.join(dir, 'node');
    if (!fs.existsSync(bin)) continue;
    try {
      const version = execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (Number(version.split('.')[0]) < 22) return bin;
    } catch {
      /* not runnable */
    }
  }
  return undefined;
}

const oldNode = findOldNode();
if (!oldNode) console.log('skipping the old-Node checks: no Node.js older than 22 on this machine');
const withOldNode = oldNode ? it : it.skip;
const MESSAGE = /^This project needs Node\.js 22\.18 or later \(24 LTS recommended, see \.nvmrc\); this is Node\.js v\d+\.\d+\.\d+ at \S+\. With nvm: nvm install && nvm use\n$/;

describe('an old Node.js', () => {
  withOldNode('is refused by the check in one line, exit 1', () => {
    const r = spawnSync(oldNode!, [path.join(ROOT, 'scripts', 'check-node.js')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(MESSAGE);
    expect(r.stdout).toBe('');
  });

  withOldNode('stops npm start and the command scripts before they build or run anything', () => {
    for (const entry of [['main'], ['cli/admin', '--help'], ['--build']]) {
      const r = spawnSync(oldNode!, [path.join(ROOT, 'scripts', 'run.js'), ...entry], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(MESSAGE);
    }
  });

  withOldNode('makes npm install refuse (engine-strict)', () => {
    const npmCli = path.join(path.dirname(path.dirname(oldNode!)), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    if (!fs.existsSync(npmCli)) {
      console.log(`skipping npm install under ${oldNode}: no npm beside it (${npmCli})`);
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'old-node-install-'));
    try {
      for (const f of ['package.json', 'package-lock.json', '.npmrc']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
      // a dry run, offline: the engine check comes before anything is fetched
      const r = spawnSync(oldNode!, [npmCli, 'install', '--dry-run', '--offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(oldNode!)}:${process.env.PATH}` } });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/EBADENGINE[\s\S]*Required: \{"node":">=22\.18"\}/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the project files', () => {
  it('passes the check silently', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'check-node.js')], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('.nvmrc names 24 and .npmrc makes npm strict about engines', () => {
    expect(fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim()).toBe('24');
    expect(fs.readFileSync(path.join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });
});

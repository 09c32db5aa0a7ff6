import { execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForExit } from '../helpers/child-server';
import { copyInto, execForm, parseCopy, parseDockerfile, parseEnv, type Stage } from './dockerfile';

/**
 * The Dockerfile's steps, run as written without a Docker engine: each stage in a scratch folder
 * standing for its WORKDIR, its COPY lines copying from the project (or from the earlier stage), its
 * RUN lines run there (install with the dev dependencies, build, prune to the production ones), then
 * the last stage's CMD started with its ENV, and its HEALTHCHECK command run against it. The steps are
 * read from the file, so this test follows it. It installs every dependency from the npm cache: slow.
 */
jest.setTimeout(15 * 60_000);

const ROOT = path.resolve(__dirname, '..', '..');
const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

describe('the Dockerfile, step by step', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-dockerfile-'));
  const stages = parseDockerfile(DOCKERFILE);
  const runtime = stages[stages.length - 1];
  const dirs = new Map<string, { dir: string; workdir: string }>();
  let server: ChildProcess | undefined;
  let serverErr = '';
  let runtimeEnv: Record<string, string> = {};
  let healthcheck: string[] = [];
  let cmd: string[] = [];
  const dataDir = path.join(scratch, 'volume-data');

  /**
   * This machine's environment (its certificates and npm settings reach the registry) without what jest
   * sets, this Node first on PATH, the npm cache of HOME preferred, and the stage's ENV.
   */
  const env = (stageEnv: Record<string, string>) => {
    const { NODE_ENV: _n, JEST_WORKER_ID: _j, ...machine } = process.env;
    return { ...machine, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, npm_config_prefer_offline: 'true', ...stageEnv };
  };

  beforeAll(() => {
    stages.forEach((stage: Stage, i) => {
      const dir = path.join(scratch, stage.name ?? `stage-${i}`);
      fs.mkdirSync(dir);
      let workdir = '/';
      let stageEnv: Record<string, string> = {};
      /** A path of the image as a path under the stage's folder (WORKDIR is the folder itself). */
      const hostPath = (p: string) => (p === workdir || p.startsWith(`${workdir}/`) ? path.join(dir, path.relative(workdir, p)) : path.join(dir, 'rootfs', p));
      for (const { keyword, args } of stage.instructions) {
        if (keyword === 'WORKDIR') workdir = args;
        else if (keyword === 'ENV') stageEnv = { ...stageEnv, ...parseEnv(args) };
        else if (keyword === 'COPY') {
          const copy = parseCopy(args);
          if (copy.from) {
            const from = dirs.get(copy.from);
            if (!from) throw new Error(`COPY --from=${copy.from}: no such stage before`);
            copyInto(from.dir, copy.sources.map((s) => path.relative(from.workdir, s)), dir, copy.dest);
          } else copyInto(ROOT, copy.sources, dir, copy.dest);
        } else if (keyword === 'RUN') {
          // absolute paths outside WORKDIR (the /data volume) go under the stage's folder; the image's
          // `node` user does not exist here, and this test does not run as it
          let command = args.replace(/ -o \S+ -g \S+/, '');
          for (const value of new Set(Object.values(stageEnv).filter((v) => v.startsWith('/')))) command = command.split(value).join(hostPath(value));
          fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true });
          execSync(command, { cwd: dir, env: env(stageEnv), stdio: ['ignore', 'ignore', 'pipe'], shell: '/bin/sh' });
        } else if (keyword === 'HEALTHCHECK') healthcheck = execForm(args);
        else if (keyword === 'CMD') cmd = execForm(args);
        else if (!['USER', 'VOLUME', 'EXPOSE'].includes(keyword)) throw new Error(`${keyword}: an instruction this test does not follow`);
      }
      dirs.set(stage.name ?? String(i), { dir, workdir });
      if (stage === runtime) runtimeEnv = stageEnv;
    });
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await waitForExit(server);
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('builds with the dev dependencies and keeps only the production ones for the image', () => {
    const build = dirs.get(stages[0].name as string)!.dir;
    expect(fs.existsSync(path.join(build, 'dist', 'main.js'))).toBe(true);
    const image = dirs.get(runtime.name ?? String(stages.length - 1))!.dir;
    expect(fs.existsSync(path.join(image, 'node_modules', 'express'))).toBe(true);
    for (const dev of ['typescript', 'jest', '@sparticuz/chromium']) expect(fs.existsSync(path.join(image, 'node_modules', dev))).toBe(false);
    expect(fs.existsSync(path.join(image, 'src'))).toBe(false);
  });

  it('runs as an unprivileged user on a private /data, with NODE_ENV=production', () => {
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(user).toEqual(['node']);
    expect(runtimeEnv).toMatchObject({ NODE_ENV: 'production', DATA_DIR: '/data', HOST: '0.0.0.0' });
    const volume = path.join(dirs.get(runtime.name ?? String(stages.length - 1))!.dir, 'rootfs', 'data');
    expect((fs.statSync(volume).mode & 0o777).toString(8)).toBe('700');
  });

  it('starts, and its HEALTHCHECK passes against /healthz', async () => {
    const image = dirs.get(runtime.name ?? String(stages.length - 1))!.dir;
    const port = await freePort();
    // as in the container, but on this machine's loopback and a scratch volume
    const serverEnv = env({ ...runtimeEnv, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, FHIR_BASE_URL: `http://127.0.0.1:${port}/fhir`, LOG_LEVEL: 'warn' });
    const program = (argv: string[]) => [argv[0] === 'node' ? process.execPath : argv[0], argv.slice(1)] as const;
    const [bin, args] = program(cmd);
    server = spawn(bin, args, { cwd: image, env: serverEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr?.on('data', (d) => (serverErr += String(d)));
    expect(healthcheck.join(' ')).toContain('/healthz');
    const [hcBin, hcArgs] = program(healthcheck);
    const deadline = Date.now() + 60_000;
    let status: number | null = null;
    while (Date.now() < deadline && server.exitCode === null) {
      status = spawnSync(hcBin, hcArgs, { cwd: image, env: serverEnv }).status;
      if (status === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect({ status, exit: server.exitCode, stderr: serverErr }).toMatchObject({ status: 0, exit: null });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
  });
});

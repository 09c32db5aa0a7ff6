import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { load, request, type Measure } from './load';

export interface BenchOptions {
  connections: number;
  posters: number;
  durationMs: number;
}

const ROOT = path.resolve(__dirname, '..', '..');

/** A bare node:http server answering every request with one stored resource's JSON from memory (the read ceiling). */
export async function readCeiling(json: string, o: BenchOptions): Promise<Measure> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/fhir+json' }).end(json));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/fhir/Patient/x`;
  const m = await load(async () => (await request(url)).status === 200, o.connections, o.durationMs);
  await new Promise((r) => server.close(r));
  return m;
}

export interface ServerProcess {
  base: string;
  /** The Authorization header of a system token (renewed before it expires); none with FHIR_AUTH=none. */
  headers(): Record<string, string>;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
  peakRssMb(): number;
}

/** With MONGODB_URI set, the store is MongoDB: each server and each bulk load gets a database of its own (`bench_…`, left for inspection). */
export function freshMongoDb(): Record<string, string> {
  return process.env.MONGODB_URI ? { MONGODB_DB: `bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}` } : {};
}

const BENCH_CLIENT = { id: 'bench', secret: 'bench-secret-not-for-production' };

/**
 * Starts the built server as its own process on a fresh data directory (or MongoDB database), or on
 * the one given with its store's environment. It runs the default configuration (tokens required,
 * audit on) unless `env` says otherwise: the bench signs in as a bootstrap system client.
 */
export async function startServer(env: Record<string, string> = {}, dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-'))): Promise<ServerProcess> {
  const port = await new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
    env: { ...process.env, ...(env.MONGODB_DB ? {} : freshMongoDb()), PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', FHIR_BASE_URL: `http://127.0.0.1:${port}/fhir`, FHIR_BOOTSTRAP_CLIENT_ID: BENCH_CLIENT.id, FHIR_BOOTSTRAP_CLIENT_SECRET: BENCH_CLIENT.secret, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}/fhir`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await request(`${base}/metadata`)).status === 200) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let headers: Record<string, string> = {};
  let renew: NodeJS.Timeout | undefined;
  if ((env.FHIR_AUTH ?? process.env.FHIR_AUTH ?? 'smart') !== 'none') {
    const origin = new URL(base).origin;
    const signIn = async () => {
      const res = await request(`${origin}/auth/token`, 'POST', `grant_type=client_credentials&scope=${encodeURIComponent('system/*.cruds')}`, {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${BENCH_CLIENT.id}:${BENCH_CLIENT.secret}`).toString('base64')}`,
      });
      if (res.status !== 200) throw new Error(`bench: no token (${res.status} ${res.text.slice(0, 200)})`);
      const token = JSON.parse(res.text) as { access_token: string; expires_in: number };
      headers = { Authorization: `Bearer ${token.access_token}` };
      renew = setTimeout(() => void signIn(), Math.max(10, token.expires_in - 60) * 1000);
      renew.unref();
    };
    await signIn();
  }
  let peak = 0;
  const peakRssMb = () => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      /* the process has exited */
    }
    return Math.round(peak);
  };
  return {
    base,
    headers: () => headers,
    pid: proc.pid as number,
    dataDir,
    peakRssMb,
    async stop() {
      peakRssMb();
      if (renew) clearTimeout(renew);
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

export function diskMb(dir: string): number {
  return Math.round(Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024);
}

/** The bulk loader on the NDJSON, into a fresh data directory: resources per second as it reports them. */
export function bulkLoad(ndjsonDir: string): number {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  try {
    return importNdjson(ndjsonDir, { ...freshMongoDb(), DATA_DIR: dataDir }).resourcesPerSecond;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The bulk loader on the NDJSON, into the store the environment names (on top of what it holds).
 * `progress` shows the loader's progress bar (on stderr) as it goes.
 */
export function importNdjson(ndjsonDir: string, storeEnv: Record<string, string>, progress = false): { written: number; seconds: number; resourcesPerSecond: number } {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'import.js'), ndjsonDir], {
    env: { ...process.env, ...storeEnv },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', progress ? 'inherit' : 'pipe'],
    maxBuffer: 64 * 2 ** 20,
  });
  const report = /(\d+) written.* in ([\d.]+) s \((\d+) resources\/s\)/.exec(out);
  return { written: Number(report?.[1] ?? 0), seconds: Number(report?.[2] ?? 0), resourcesPerSecond: Number(report?.[3] ?? 0) };
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import http from 'node:http';
import { build } from 'esbuild';
import { freePort } from './child-server';

/** How the browser tests start Chromium: the binary, and what its environment needs. */
export interface ChromiumLaunch {
  executablePath: string;
  env: Record<string, string>;
  /** Where the binary came from, for messages. */
  source: string;
}

/** Debian's package, the fallback where the npm package's binary does not run (it is built for Linux x64). */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags that let headless Chromium run as root in a container with no GPU, no network and a small /dev/shm. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/**
 * The Chromium for the browser tests. The devDependency @sparticuz/chromium ships a Linux x64
 * Chromium inside the package itself, brotli-compressed (no download at install time, which fails
 * on these machines), with the few shared libraries it needs (NSS, NSPR, expat); this unpacks it once
 * into the temporary folder and points the dynamic linker at those libraries, so `npm test` needs
 * nothing installed besides Node. Elsewhere (another platform, or the package absent) it falls back
 * to Debian's /usr/bin/chromium, and throws one line saying what to install when neither is there.
 */
export function chromiumLaunch(): ChromiumLaunch {
  const bin = packageBinDir();
  if (bin && process.platform === 'linux' && process.arch === 'x64') return unpack(bin);
  if (fs.existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, env: {}, source: SYSTEM_CHROMIUM };
  throw new Error(
    `No Chromium for the browser test: @sparticuz/chromium (a devDependency, Linux x64 only) is ${bin ? `not usable on ${process.platform}-${process.arch}` : 'not installed (run npm install)'} and ${SYSTEM_CHROMIUM} is missing (Debian: apt-get install chromium)`
  );
}

function packageBinDir(): string | undefined {
  try {
    // the package exports only its entry point (build/index.js); bin/ is beside build/
    const dir = path.join(path.dirname(require.resolve('@sparticuz/chromium')), '..', 'bin');
    return fs.existsSync(path.join(dir, 'chromium.br')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function unpack(bin: string): ChromiumLaunch {
  const version = (JSON.parse(fs.readFileSync(path.join(bin, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const dir = path.join(os.tmpdir(), `fhir-test-chromium-${version}-${process.getuid?.() ?? 'user'}`);
  const launch: ChromiumLaunch = {
    executablePath: path.join(dir, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [path.join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: path.join(dir, 'fonts'),
    },
    source: `@sparticuz/chromium ${version}`,
  };
  if (fs.existsSync(launch.executablePath)) return launch;
  // unpacked beside, then renamed into place: parallel test workers never see half a binary
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  const untar = (archive: string, into: string) => {
    fs.mkdirSync(into, { recursive: true });
    execFileSync('tar', ['-x', '-C', into], { input: zlib.brotliDecompressSync(fs.readFileSync(path.join(bin, archive))) });
  };
  fs.writeFileSync(path.join(tmp, 'chromium'), zlib.brotliDecompressSync(fs.readFileSync(path.join(bin, 'chromium.br'))), { mode: 0o755 });
  untar('swiftshader.tar.br', tmp); // its GL libraries sit beside the binary, where Chromium looks for them
  untar('al2023.tar.br', path.join(tmp, 'al2023'));
  untar('fonts.tar.br', path.join(tmp, 'fonts'));
  // the package's fonts.conf names its own Lambda folders; point it at this one
  fs.writeFileSync(
    path.join(tmp, 'fonts', 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${path.join(dir, 'fonts', 'fonts')}</dir>\n  <cachedir>${path.join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`
  );
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another worker got there first
  }
  return launch;
}

/**
 * A browser test app: `entry` bundled for the browser with esbuild (`define` substituted), served with
 * a page that loads it from a loopback port; returns the page's origin and the server to close.
 */
export async function serveTestApp(entry: string, define: Record<string, string>, title: string): Promise<{ origin: string; server: http.Server }> {
  const bundle = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'iife', define, logLevel: 'silent' });
  const js = bundle.outputFiles[0].text;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><script src="/app.js"></script></body></html>`;
  const port = await freePort();
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/app.js')) res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { origin: `http://127.0.0.1:${port}`, server };
}

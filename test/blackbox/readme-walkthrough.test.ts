import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, startChildServer, tmpDataDir, waitForExit, type ChildServer } from '../helpers/child-server';

/**
 * The README's curl walk-through, run as written (only the port changed) against the built server:
 * the README stays true or this test fails.
 */
jest.setTimeout(60_000);

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

function walkthroughScript(): string {
  const section = README.split('## A walk through the API')[1];
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no walk-through block');
  return block;
}

describe('README walk-through', () => {
  let server: ChildServer;
  const dataDir = tmpDataDir('fhir-readme-');
  beforeAll(async () => {
    buildOnce();
    server = await startChildServer(dataDir, { FHIR_AUTH: 'smart' });
  });
  afterAll(async () => {
    server.proc.kill('SIGTERM');
    await waitForExit(server.proc);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives the documented answers', () => {
    const port = new URL(server.base).port;
    const script = `set -euo pipefail\n${walkthroughScript().replaceAll('localhost:8080', `127.0.0.1:${port}`)}`;
    // the walk-through runs from the project folder, where ./data is the server's data directory
    const cwd = fs.mkdtempSync(path.join(dataDir, 'cwd-'));
    fs.symlinkSync(dataDir, path.join(cwd, 'data'));
    const out = execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } });
    // create: 201 with Location .../_history/1 and ETag W/"1"
    expect(out).toMatch(/HTTP\/1\.1 201 Created/);
    expect(out).toMatch(/Location: http:\/\/127\.0\.0\.1:\d+\/fhir\/Patient\/[0-9a-f-]{36}\/_history\/1/);
    // read: 200 with ETag W/"1" and Last-Modified
    expect(out).toMatch(/HTTP\/1\.1 200 OK[\s\S]*ETag: W\/"1"[\s\S]*Last-Modified:/);
    // an unknown id: 404 with an issue of code not-found, with the token; 401 without it
    expect(out).toMatch(/HTTP\/1\.1 404 Not Found[\s\S]*?\r?\n\r?\n\{"resourceType":"OperationOutcome","issue":\[\{"severity":"error","code":"not-found"/);
    expect(out).toMatch(/HTTP\/1\.1 401 Unauthorized[\s\S]*?WWW-Authenticate: Bearer[\s\S]*?\r?\n\r?\n\{"resourceType":"OperationOutcome","issue":\[\{"severity":"error","code":"login"/);
    // search: a searchset with total 1
    expect(out).toMatch(/"type":"searchset","total":1/);
    // update: 200 and ETag W/"2"
    expect(out).toMatch(/HTTP\/1\.1 200 OK[\s\S]*ETag: W\/"2"/);
    // history: newest first, version 2 (PUT) then version 1 (POST)
    const history = JSON.parse(out.slice(out.lastIndexOf('{"resourceType":"Bundle"')));
    expect(history.type).toBe('history');
    expect(history.entry.map((e: any) => [e.resource.meta.versionId, e.request.method])).toEqual([
      ['2', 'PUT'],
      ['1', 'POST'],
    ]);
  });
});

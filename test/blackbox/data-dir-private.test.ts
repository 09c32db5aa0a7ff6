import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, startChildServer, tmpDataDir, waitForExit, type ChildServer } from '../helpers/child-server';

/**
 * What the server creates in DATA_DIR (the databases with their -wal and -shm files, the signing keys,
 * the administrator's credentials) is readable by its owner only, under the usual umask 022.
 */
jest.setTimeout(60_000);

describe('DATA_DIR created by the server', () => {
  const parent = tmpDataDir('fhir-private-');
  const dataDir = path.join(parent, 'data'); // not there yet: the server creates it
  let server: ChildServer;
  beforeAll(async () => {
    buildOnce();
    const umask = process.umask(0o022);
    try {
      server = await startChildServer(dataDir, { FHIR_AUTH: 'smart', FHIR_AUDIT: 'on' });
    } finally {
      process.umask(umask);
    }
    // a write, so the databases have their write-ahead logs
    const client = JSON.parse(fs.readFileSync(path.join(dataDir, 'admin-client.json'), 'utf8'));
    const token = await fetch(`${server.base}/auth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=system/*.cruds',
    }).then((r) => r.json());
    const created = await fetch(`${server.base}/fhir/Patient`, { method: 'POST', headers: { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient' }) });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    if (server) await waitForExit(server.proc);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('is mode 700 and every file in it 600', () => {
    const mode = (f: string) => (fs.statSync(path.join(dataDir, f)).mode & 0o777).toString(8);
    expect(mode('.')).toBe('700');
    const files = fs.readdirSync(dataDir);
    for (const f of ['fhir.sqlite', 'fhir.sqlite-wal', 'fhir.sqlite-shm', 'auth.sqlite', 'auth.sqlite-wal', 'auth.sqlite-shm', 'auth-keys.json', 'admin-client.json']) expect(files).toContain(f);
    expect(Object.fromEntries(files.map((f) => [f, mode(f)]))).toEqual(Object.fromEntries(files.map((f) => [f, '600'])));
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { buildOnce, tmpDataDir } from '../helpers/child-server';
import { runCli, STACK_FRAME } from './helpers';

/** `npm run admin`: says what it did, and refuses a user whose fhirUser is not in the store. */
jest.setTimeout(120_000);

describe('admin', () => {
  const dataDir = tmpDataDir('fhir-admin-');
  const env = { DATA_DIR: dataDir };
  beforeAll(() => {
    buildOnce();
    const ndjson = path.join(dataDir, 'people.ndjson');
    fs.writeFileSync(ndjson, `${JSON.stringify({ resourceType: 'Patient', id: 'p-123', name: [{ family: 'Zhang' }] })}\n`);
    expect(runCli('import', [ndjson], env).status).toBe(0);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('adds a user whose fhirUser is in the store', () => {
    const r = runCli('admin', ['user', 'add', '--username', 'wei', '--fhir-user', 'Patient/p-123'], env);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ username: 'wei', fhirUser: 'Patient/p-123', password: expect.any(String) });
    expect(runCli('admin', ['user', 'list'], env).stdout).toBe('wei\tPatient/p-123\n');
  });

  it('refuses a fhirUser that is not in the store, unless --force', () => {
    const r = runCli('admin', ['user', 'add', '--username', 'ghost', '--fhir-user', 'Patient/123'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`Patient/123 does not exist in the FHIR store (${dataDir}); create it first, or add the user with --force\n`);
    expect(runCli('admin', ['user', 'list'], env).stdout).not.toContain('ghost');

    const forced = runCli('admin', ['user', 'add', '--username', 'ghost', '--fhir-user', 'Practitioner/9', '--force'], env);
    expect(forced.status).toBe(0);
    expect(runCli('admin', ['user', 'list'], env).stdout).toContain('ghost\tPractitioner/9');
  });

  it('user remove says what it removed, or that there was no such user (exit 1)', () => {
    const r = runCli('admin', ['user', 'remove', 'ghost'], env);
    expect([r.status, r.stdout]).toEqual([0, `removed user ghost from ${dataDir}\n`]);
    const again = runCli('admin', ['user', 'remove', 'ghost'], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`no user ghost is registered in ${dataDir}; nothing removed\n`);
    expect(again.stderr).not.toMatch(STACK_FRAME);
  });

  it('client remove says what it removed, or that there was no such client (exit 1)', () => {
    expect(runCli('admin', ['client', 'add', '--id', 'app', '--type', 'public', '--scope', 'patient/*.rs', '--redirect-uri', 'https://app.example.org/cb'], env).status).toBe(0);
    expect(runCli('admin', ['client', 'remove', 'app'], env).stdout).toBe(`removed client app from ${dataDir}\n`);
    const again = runCli('admin', ['client', 'remove', 'app'], env);
    expect([again.status, again.stderr]).toEqual([1, `no client app is registered in ${dataDir}; nothing removed\n`]);
  });
});

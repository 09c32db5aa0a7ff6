import fs from 'node:fs';
import os from 'node:os';
import { buildOnce, tmpDataDir } from '../helpers/child-server';
import { runCli } from './helpers';

/** `npm run admin` changes are in the audit trail, chained like every other record. */
jest.setTimeout(180_000);

describe('admin commands in the audit trail', () => {
  const dataDir = tmpDataDir('fhir-admin-audit-');
  const env = { DATA_DIR: dataDir };
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('records client add, user add and user remove with the operating-system user, and the trail stays intact', () => {
    expect(runCli('admin', ['client', 'add', '--id', 'app', '--type', 'confidential-symmetric', '--scope', 'system/*.rs'], env).status).toBe(0);
    expect(runCli('admin', ['user', 'add', '--username', 'wei', '--fhir-user', 'Patient/p-1', '--force'], { ...env, FHIR_USER_PASSWORD: 'not-in-the-trail' }).status).toBe(0);
    expect(runCli('admin', ['user', 'remove', 'wei'], env).status).toBe(0);
    expect(runCli('admin', ['user', 'remove', 'nobody'], env).status).toBe(1);
    expect(runCli('admin', ['client', 'list'], env).status).toBe(0);

    const exported = runCli('audit-export', [], env);
    expect(exported.status).toBe(0);
    expect(exported.stdout).not.toContain('not-in-the-trail');
    const events = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.subtype[0].code, e.outcome])).toEqual([
      ['admin-client-add', '0'],
      ['admin-user-add', '0'],
      ['admin-user-remove', '0'],
      ['admin-user-remove', '4'],
    ]);
    const me = os.userInfo().username;
    for (const e of events) {
      expect(e.type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110137' });
      expect(e.agent[0]).toMatchObject({ altId: me, requestor: true, who: { display: expect.stringContaining(me) } });
    }
    expect(events[0].entity[0].what.identifier).toEqual({ system: 'http://insured.example.org/fhir/sid/client-id', value: 'app' });
    expect(events[0].action).toBe('C');
    expect(events[2].action).toBe('D');
    expect(events[2].entity.map((x: any) => x.what)).toEqual([{ identifier: { system: 'http://insured.example.org/fhir/sid/username', value: 'wei' }, display: 'user wei' }, { reference: 'Patient/p-1' }]);

    const verified = runCli('audit-verify', [], env);
    expect([verified.status, verified.stdout]).toEqual([0, expect.stringMatching(/^audit trail intact: 4 records, [1-9]\d* signed checkpoints/)]);
  });
});

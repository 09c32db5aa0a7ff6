import fs from 'node:fs';
import os from 'node:os';
import { buildOnce, tmpDataDir } from '../helpers/child-server';
import { runCli } from './helpers';

/**
 * `npm run admin` changes are in the audit trail, chained like every other record: each change's
 * request before it is made, then its result naming the request.
 */
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
    expect(events.map((e) => [e.subtype[0].code, e.outcome, e.outcomeDesc.split(':')[0]])).toEqual([
      ['admin-client-add', undefined, 'requested'],
      ['admin-client-add', '0', 'done'],
      ['admin-user-add', undefined, 'requested'],
      ['admin-user-add', '0', 'done'],
      ['admin-user-remove', undefined, 'requested'],
      ['admin-user-remove', '0', 'done'],
      ['admin-user-remove', undefined, 'requested'],
      ['admin-user-remove', '4', 'failed'],
    ]);
    // each result names the event of its request
    for (let i = 1; i < events.length; i += 2) expect(events[i].entity.at(-1)).toMatchObject({ what: { reference: `AuditEvent/${events[i - 1].id}` }, role: { code: 'request' } });
    expect(events[7].outcomeDesc).toBe('failed: no such user');
    const me = os.userInfo().username;
    for (const e of events) {
      expect(e.type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110137' });
      expect(e.agent[0]).toMatchObject({ altId: me, requestor: true, who: { display: expect.stringContaining(me) } });
    }
    expect(events[0].entity[0].what.identifier).toEqual({ system: 'http://insured.example.org/fhir/sid/client-id', value: 'app' });
    expect(events[0].action).toBe('C');
    expect(events[4].action).toBe('D');
    expect(events[4].entity.map((x: any) => x.what)).toEqual([{ identifier: { system: 'http://insured.example.org/fhir/sid/username', value: 'wei' }, display: 'user wei' }, { reference: 'Patient/p-1' }]);

    const verified = runCli('audit-verify', [], env);
    expect([verified.status, verified.stdout]).toEqual([0, expect.stringMatching(/^audit trail intact: 8 records, [1-9]\d* signed checkpoints, reaches the head signed at \S+ \(seq 8\)/)]);
  });

  it('audit:prune keeps the trail without a retention period, and removes nothing younger than it', () => {
    expect(runCli('audit-prune', [], env)).toMatchObject({ status: 0, stdout: expect.stringContaining('kept forever; nothing pruned') });
    expect(runCli('audit-prune', [], { ...env, FHIR_AUDIT_RETENTION_DAYS: '1' })).toMatchObject({ status: 0, stdout: expect.stringMatching(/^nothing to prune: no signed checkpoint older than 1 days/) });
    expect(runCli('audit-verify', [], env).status).toBe(0);
  });

  it('audit:verify fails a trail whose signed head was removed, as its newest records could have gone with it', () => {
    fs.rmSync(`${dataDir}/audit-head.jws`);
    const verified = runCli('audit-verify', [], env);
    expect([verified.status, verified.stdout]).toEqual([1, expect.stringMatching(/^audit trail NOT intact: truncated: no signed head in .*audit-head\.jws/)]);
  });
});

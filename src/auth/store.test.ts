import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AuthStore } from './store';

describe('AuthStore users', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-store-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps whether a user is an administrator', () => {
    const store = new AuthStore(dir);
    store.putUser({ username: 'root', passwordHash: 'h', fhirUser: 'Practitioner/1', administrator: true });
    store.putUser({ username: 'ann', passwordHash: 'h', fhirUser: 'Patient/1' });
    store.close();
    const reopened = new AuthStore(dir);
    expect(reopened.getUser('root')).toEqual({ username: 'root', passwordHash: 'h', fhirUser: 'Practitioner/1', administrator: true });
    expect(reopened.getUser('ann')).toEqual({ username: 'ann', passwordHash: 'h', fhirUser: 'Patient/1' });
    expect(reopened.listUsers().map((u) => [u.username, u.administrator ?? false])).toEqual([['ann', false], ['root', true]]);
    reopened.putUser({ username: 'root', passwordHash: 'h', fhirUser: 'Practitioner/1' });
    expect(reopened.getUser('root')?.administrator).toBeUndefined();
    reopened.close();
  });

  it('opens a store whose user table predates administrators; its users are not administrators', () => {
    const old = new DatabaseSync(path.join(dir, 'auth.sqlite'));
    old.exec('CREATE TABLE user (username TEXT PRIMARY KEY, json TEXT NOT NULL) STRICT');
    old.prepare('INSERT INTO user (username, json) VALUES (?, ?)').run('wei', JSON.stringify({ username: 'wei', passwordHash: 'h', fhirUser: 'Patient/123' }));
    old.close();
    const store = new AuthStore(dir);
    expect(store.getUser('wei')).toEqual({ username: 'wei', passwordHash: 'h', fhirUser: 'Patient/123' });
    store.putUser({ username: 'chief', passwordHash: 'h', fhirUser: 'Practitioner/9', administrator: true });
    expect(store.getUser('chief')?.administrator).toBe(true);
    store.close();
  });
});

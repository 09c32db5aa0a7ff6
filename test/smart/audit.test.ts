import { startTestServer } from '../helpers/server';
import { AuthStore } from '../../src/auth/store';
import { addSecretClient, basic, systemToken } from './helpers';

/** Every authorization decision and every API access, granted or refused, becomes an AuditEvent. */
let t: Awaited<ReturnType<typeof startTestServer>>;
let auth: AuthStore;
beforeAll(async () => {
  t = await startTestServer({ FHIR_AUTH: 'smart', FHIR_AUDIT: 'on' });
  auth = new AuthStore(t.dataDir);
});
afterAll(async () => {
  auth.close();
  await t.close();
});

it('records token issue and refusal, a request without a token, and a granted read; only an audit scope reads them', async () => {
  const secret = await addSecretClient(auth, 'auditor', 'system/*.cruds system/AuditEvent.rs');
  await t.http.post('/auth/token').set('Authorization', basic('auditor', 'wrong')).type('form').send({ grant_type: 'client_credentials', scope: 'system/*.rs' });
  const token = await systemToken(t, 'auditor', secret, 'system/*.rs system/AuditEvent.rs');
  expect((await t.http.get('/fhir/Patient')).status).toBe(401);
  expect((await t.http.get('/fhir/Patient').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  await t.server.flushAudit();

  const res = await t.http.get('/fhir/AuditEvent?_count=100').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  const events = res.body.entry.map((e: any) => e.resource);
  const auth401 = events.find((e: any) => e.type.code === 'rest' && e.outcome === '4' && e.agent[0].who.display === 'anonymous');
  expect(auth401).toBeDefined();
  const granted = events.find((e: any) => e.type.code === 'rest' && e.outcome === '0' && e.agent[0].altId === 'auditor');
  expect(granted.subtype[0].code).toBe('search-type');
  const tokens = events.filter((e: any) => e.type.code === '110114').map((e: any) => [e.outcome, e.agent[0].who.display]);
  expect(tokens).toEqual(expect.arrayContaining([['4', 'auditor'], ['0', 'auditor']]));

  const other = await systemToken(t, 'auditor', secret, 'system/*.rs');
  expect((await t.http.get('/fhir/AuditEvent').set('Authorization', `Bearer ${other}`)).status).toBe(403);
});

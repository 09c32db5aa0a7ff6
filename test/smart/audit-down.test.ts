import { addPublicClient, addSecretClient, addUser, basic, pkce, REDIRECT, signinCookie, startSmartServer, systemToken } from './helpers';

/**
 * No sign-in and no token that the audit trail cannot record (DESIGN.md decision 11): with the trail's
 * database full (SQLite's max_page_count, as test/audit/fail-closed.test.ts does), the authorization
 * pages answer 503 and the token endpoint 503 with an OAuth error; once space returns, they work again,
 * and the refusals are in the trail.
 */
const embedded = !process.env.FHIR_TEST_STORE;
let t: Awaited<ReturnType<typeof startSmartServer>>;
let secret: string;
beforeAll(async () => {
  t = await startSmartServer({ FHIR_AUDIT: 'on' });
  secret = await addSecretClient(t.auth, 'backend', 'system/*.rs system/AuditEvent.rs');
  addPublicClient(t.auth, 'app', 'launch/patient patient/*.rs');
  await addUser(t.auth, 'ann', 'Patient/ann-1');
});
afterAll(() => t.close());

const authorize = () =>
  t.http.get('/auth/authorize').query({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', state: 's', aud: 'http://localhost:8080/fhir', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
const token = () => t.http.post('/auth/token').set('Authorization', basic('backend', secret)).type('form').send({ grant_type: 'client_credentials', scope: 'system/*.rs' });

(embedded ? it : it.skip)('refuses sign-in and token issuance with 503 while the trail cannot be written, and serves them again after', async () => {
  expect((await token()).status).toBe(200);
  // a sign-in begun while the trail could be written
  const page = await authorize();
  expect(page.status).toBe(200);
  const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
  const cookie = signinCookie(page);
  await t.server.flushAudit();

  await t.server.audit?.sink.limitPages?.(0);
  // the free room left in the last pages takes a few events (requests without a token are recorded too); then the disk is full
  let down = false;
  for (let i = 0; i < 400 && !down; i++) {
    await t.http.get('/fhir/Patient');
    await t.server.flushAudit();
    down = (await t.http.get('/healthz')).status === 503;
  }
  expect(down).toBe(true);

  const refused = await token();
  expect(refused.status).toBe(503);
  expect(refused.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/^No token is issued while the audit trail cannot be written \(.+\)$/) });
  expect(refused.headers['cache-control']).toBe('no-store');
  expect(refused.headers['retry-after']).toBeDefined();
  expect(refused.body.access_token).toBeUndefined();
  const login = await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
  expect(login.status).toBe(503);
  expect(login.text).toContain('cannot be recorded in the audit trail');
  expect(login.text).not.toContain('name="decision"');
  expect((await t.http.post('/auth/consent').set('Cookie', cookie).type('form').send({ request, decision: 'approve', 'scope:patient/*.rs': 'on' })).status).toBe(503);
  expect((await authorize()).status).toBe(503);

  await t.server.audit?.sink.limitPages?.(undefined);
  let resumed = false;
  for (let i = 0; i < 50 && !resumed; i++) {
    await new Promise((r) => setTimeout(r, 200));
    resumed = (await t.http.get('/healthz')).status === 200;
  }
  expect(resumed).toBe(true);
  // the sign-in begun before goes on where it stopped
  const signedIn = await t.http.post('/auth/login').set('Cookie', cookie).type('form').send({ request, username: 'ann', password: 'correct horse' });
  expect([signedIn.status, signedIn.text]).toEqual([200, expect.stringContaining('name="decision"')]);
  const auditor = await systemToken(t, 'backend', secret, 'system/AuditEvent.rs');
  await t.server.flushAudit();
  const events = await t.http.get('/fhir/AuditEvent?subtype=token-issue&outcome=4&_count=100').set('Authorization', `Bearer ${auditor}`);
  expect(events.status).toBe(200);
  expect(events.body.entry.map((e: any) => e.resource.outcomeDesc)).toContain('client_credentials: refused: audit trail unavailable');
});

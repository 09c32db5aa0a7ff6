import { addPublicClient, addUser, pkce, signinCookie, startSmartServer, REDIRECT } from './helpers';

/** Sign-in and consent: bound to the browser that started the authorization, and not posted from elsewhere. */
let t: Awaited<ReturnType<typeof startSmartServer>>;
beforeAll(async () => {
  // behind one proxy, so that each request here can come from an address of its own
  t = await startSmartServer({ TRUST_PROXY: '1' });
  addPublicClient(t.auth, 'app', 'launch/patient patient/*.rs');
  for (const [name, patient] of [['ann', 'ann-1'], ['bob', 'bob-1'], ['carol', 'carol-1'], ['k1', 'k1'], ['k2', 'k2'], ['k3', 'k3']]) await addUser(t.auth, name, `Patient/${patient}`);
});
afterAll(() => t.close());

let addresses = 0;
const ip = () => `10.1.${Math.floor(++addresses / 250)}.${(addresses % 250) + 1}`;

const authorize = (server = t, base = 'http://localhost:8080/fhir', cookie?: string) => {
  const req = server.http.get('/auth/authorize').set('X-Forwarded-For', ip());
  return (cookie ? req.set('Cookie', cookie) : req).query({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', state: 'b1', aud: base, code_challenge: pkce().challenge, code_challenge_method: 'S256' });
};
const requestOf = (page: { text: string }) => /name="request" value="([^"]+)"/.exec(page.text)?.[1] as string;
const setCookie = (res: { headers: Record<string, unknown> }) => ((res.headers['set-cookie'] ?? []) as string[]).find((c) => /^(__Host-)?fhir-signin=/.test(c));
const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) => t.http.post(url).set('X-Forwarded-For', ip()).set(headers).type('form').send(form);

describe('the browser binding cookie', () => {
  it('authorize sets a random HttpOnly, SameSite=Lax cookie, not Secure on an http base URL', async () => {
    const [a, b] = [await authorize(), await authorize()];
    const cookie = setCookie(a) as string;
    expect(cookie).toMatch(/^fhir-signin=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\/auth/);
    expect(cookie).not.toMatch(/Secure/);
    expect(signinCookie(a)).not.toBe(signinCookie(b));
  });

  it('a browser keeps its cookie across authorizations, and each of its pending requests works', async () => {
    const first = await authorize();
    const cookie = signinCookie(first);
    const second = await authorize(t, undefined, cookie);
    expect(signinCookie(second)).toBe(cookie);
    for (const page of [first, second]) {
      const res = await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, { Cookie: cookie });
      expect(res.text).toContain('name="decision" value="approve"');
    }
  });

  it('sign-in without the cookie, or with another browser\'s, is refused: no consent page', async () => {
    const page = await authorize();
    const other = signinCookie(await authorize());
    for (const headers of [{}, { Cookie: other }] as Record<string, string>[]) {
      const res = await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, headers);
      expect(res.status).toBe(400);
      expect(res.text).toContain('another browser');
      expect(res.text).not.toContain('name="decision"');
    }
  });

  it('consent without the cookie is refused: no code; with it, the code comes', async () => {
    const page = await authorize();
    const cookie = signinCookie(page);
    await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, { Cookie: cookie });
    const refused = await post('/auth/consent', { request: requestOf(page), decision: 'approve', 'scope:patient/*.rs': 'on' });
    expect(refused.status).toBe(400);
    expect(refused.headers.location).toBeUndefined();
    const granted = await post('/auth/consent', { request: requestOf(page), decision: 'approve', 'scope:patient/*.rs': 'on' }, { Cookie: cookie });
    expect(granted.status).toBe(302);
    expect(new URL(granted.headers.location).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('cross-origin posts (CSRF)', () => {
  it.each([
    ['an Origin of another site', { Origin: 'https://evil.example' }],
    ['an opaque Origin', { Origin: 'null' }],
    ['a Referer of another site', { Referer: 'https://evil.example/page' }],
  ])('sign-in and consent posted with %s are refused with 403', async (_what, headers) => {
    const page = await authorize();
    const cookie = signinCookie(page);
    const login = await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, { Cookie: cookie, ...headers });
    expect(login.status).toBe(403);
    expect(login.text).toContain('another site');
    expect(login.text).not.toContain('name="decision"');
    await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, { Cookie: cookie });
    const consent = await post('/auth/consent', { request: requestOf(page), decision: 'approve', 'scope:patient/*.rs': 'on' }, { Cookie: cookie, ...headers });
    expect(consent.status).toBe(403);
    expect(consent.headers.location).toBeUndefined();
  });

  it('a post from this origin goes through, and the pages ask browsers to send their origin', async () => {
    const page = await authorize();
    expect(page.headers['referrer-policy']).toBe('same-origin');
    const res = await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, { Cookie: signinCookie(page), Origin: 'http://localhost:8080', Referer: 'http://localhost:8080/auth/authorize?x=1' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('name="decision" value="approve"');
  });
});

describe('on an https base URL', () => {
  it('the cookie is Secure and __Host- prefixed', async () => {
    const base = 'https://fhir.example.org/fhir';
    const s = await startSmartServer({ FHIR_BASE_URL: base });
    try {
      addPublicClient(s.auth, 'app', 'launch/patient patient/*.rs');
      const cookie = setCookie(await authorize(s, base)) as string;
      expect(cookie).toMatch(/^__Host-fhir-signin=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toMatch(/; Path=\/;/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
    } finally {
      await s.close();
    }
  });
});

describe('sign-in', () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  it('a wrong password takes as long for an unknown user name as for a known one', async () => {
    const page = await authorize();
    const cookie = signinCookie(page);
    const attempt = async (username: string) => {
      const started = performance.now();
      const res = await post('/auth/login', { request: requestOf(page), username, password: 'wrong' }, { Cookie: cookie });
      expect(res.text).toContain('Wrong user name or password');
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    // interleaved, so that a slow moment of the machine falls on both; one attempt per name (the account limit)
    for (const i of [1, 2, 3]) {
      known.push(await attempt(`k${i}`));
      unknown.push(await attempt(`nobody-${i}`));
    }
    // a password check is a scrypt derivation (tens of ms); skipping it for unknown names took ~3 ms
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it('after 5 failed sign-ins for one user name, that name is refused for a while from any address; others are not', async () => {
    const page = await authorize();
    const cookie = signinCookie(page);
    for (let i = 0; i < 5; i++) {
      const res = await post('/auth/login', { request: requestOf(page), username: 'bob', password: `guess-${i}` }, { Cookie: cookie });
      expect(res.status).toBe(200);
      expect(res.text).toContain('Wrong user name or password');
    }
    // the right password, from yet another address: still refused
    const locked = await post('/auth/login', { request: requestOf(page), username: 'bob', password: 'correct horse' }, { Cookie: cookie });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('Too many failed sign-ins');
    expect(locked.text).not.toContain('name="decision"');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // another user signs in on the same page
    const other = await post('/auth/login', { request: requestOf(page), username: 'carol', password: 'correct horse' }, { Cookie: cookie });
    expect(other.status).toBe(200);
    expect(other.text).toContain('name="decision" value="approve"');
  });

  it('successful sign-ins do not count towards the limit', async () => {
    for (let i = 0; i < 7; i++) {
      const page = await authorize();
      const res = await post('/auth/login', { request: requestOf(page), username: 'ann', password: 'correct horse' }, { Cookie: signinCookie(page) });
      expect(res.text).toContain('name="decision" value="approve"');
    }
  });
});

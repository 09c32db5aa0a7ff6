import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redirectUriProblem } from './redirect-uri';
import { AuthStore } from './store';

describe('redirect URIs at registration', () => {
  it.each(['https://app.example.org/callback', 'https://app.example.org:8443/cb?x=1', 'http://127.0.0.1:3000/cb', 'http://[::1]:3000/cb', 'http://localhost/cb'])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['javascript:alert(1)', /scheme javascript:/],
    ['data:text/html,<script>1</script>', /scheme data:/],
    ['com.example.app:/callback', /scheme com\.example\.app:/],
    ['ftp://app.example.org/cb', /scheme ftp:/],
    ['http://app.example.org/cb', /http on a host other than/],
    ['http://127.0.0.1.evil.example/cb', /http on a host other than/],
    ['https://app.example.org/cb#frag', /fragment/],
    ['https://app.example.org/cb#', /fragment/],
    ['https://user:pw@app.example.org/cb', /credentials/],
    ['/callback', /not an absolute URL/],
  ])('refuses %s', (uri, message) => {
    expect(redirectUriProblem(uri)).toMatch(message);
  });

  it('the store refuses to register a client with such a redirect URI, and keeps none of it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-redirect-'));
    const store = new AuthStore(dir);
    try {
      expect(() => store.putClient({ id: 'bad', name: 'bad', type: 'public', scope: 'patient/*.rs', redirectUris: ['https://ok.example/cb', 'javascript:alert(1)'] })).toThrow(
        /Client bad: redirect URI "javascript:alert\(1\)" uses the scheme javascript:/
      );
      expect(store.getClient('bad')).toBeUndefined();
      store.putClient({ id: 'good', name: 'good', type: 'public', scope: 'patient/*.rs', redirectUris: ['https://ok.example/cb'] });
      expect(store.getClient('good')?.redirectUris).toEqual(['https://ok.example/cb']);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

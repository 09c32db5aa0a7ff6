/** Hosts where plain http is acceptable: the machine itself (RFC 8252 §7.3, loopback redirection). */
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why a redirect URI may not be registered, or undefined when it may. Codes and tokens travel in it,
 * so it must be https (or http on loopback), absolute, without a fragment (RFC 6749 §3.1.2) and
 * without credentials; every other scheme (javascript:, data:, custom ones) is refused.
 */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect URI "${uri}" is not an absolute URL`;
  }
  if (uri.includes('#')) return `redirect URI "${uri}" has a fragment; fragments are not allowed`;
  if (url.username || url.password) return `redirect URI "${uri}" carries credentials`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return LOOPBACK.has(url.hostname) ? undefined : `redirect URI "${uri}" uses http on a host other than 127.0.0.1, [::1] or localhost; use https`;
  return `redirect URI "${uri}" uses the scheme ${url.protocol} (only https, or http on loopback, is allowed)`;
}

/** The first problem among a client's redirect URIs, if any. */
export function redirectUrisProblem(uris: string[]): string | undefined {
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) return problem;
  }
  return undefined;
}

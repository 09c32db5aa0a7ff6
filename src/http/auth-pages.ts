import type { Response } from 'express';
import { describeScope } from '../auth/describe';
import type { AuthorizeResult } from '../auth/oauth';

/** OAuth answers and pages are never cached (RFC 6749 §5.1). */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** The authorization server's pages (sign-in, consent, errors): plain HTML, no script, nothing external. */
export function render(res: Response, result: AuthorizeResult): void {
  res.set({
    ...NO_STORE,
    // no form-action: the consent form's answer is a redirect to the app, which form-action would block
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    // with no-referrer (helmet's default) a browser posts these forms with Origin: null, and the
    // same-origin check could not tell them from a cross-site post
    'Referrer-Policy': 'same-origin',
  });
  switch (result.kind) {
    case 'redirect':
      res.redirect(302, result.url);
      return;
    case 'error-page':
      res.status(result.status ?? 400).type('html').send(page('Cannot continue', `<p>${esc(result.message)}</p>`));
      return;
    case 'login':
      res.status(result.status ?? 200).type('html').send(
        page(
          `Sign in to share your records with ${esc(result.request.client.name)}`,
          `${result.error ? `<p role="alert">${esc(result.error)}</p>` : ''}
<form method="post" action="/auth/login">
<input type="hidden" name="request" value="${esc(result.request.id)}">
<label>User name <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`
        )
      );
      return;
    case 'consent': {
      const items = result.request.scope
        .split(' ')
        .map((s) => `<li><label><input type="checkbox" name="scope:${esc(s)}" checked> ${esc(describeScope(s))} <code>${esc(s)}</code></label></li>`)
        .join('\n');
      res.type('html').send(
        page(
          `${esc(result.request.client.name)} asks to`,
          `<form method="post" action="/auth/consent">
<input type="hidden" name="request" value="${esc(result.request.id)}">
<ul>${items}</ul>
<p>Untick anything you do not want to share. You can revoke access at any time.</p>
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`
        )
      );
      return;
    }
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto}label{display:block;margin:.5em 0}</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

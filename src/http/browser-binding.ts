import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';

const VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Binds sign-in and consent to the browser that started the authorization. /auth/authorize sets a
 * random cookie (HttpOnly, SameSite=Lax; Secure and __Host- prefixed on https) that the login and
 * consent posts must bring back, so a pending request id lured into another browser is useless; and
 * those posts must come from a page of this origin (CSRF).
 */
export class BrowserBinding {
  private readonly name: string;
  private readonly secure: boolean;
  private readonly origin: string;

  constructor(baseUrl: string, private readonly maxAgeMs: number) {
    const url = new URL(baseUrl);
    this.origin = url.origin;
    this.secure = url.protocol === 'https:';
    // __Host- needs Secure and Path=/, and keeps sibling subdomains from planting the cookie
    this.name = this.secure ? '__Host-fhir-signin' : 'fhir-signin';
  }

  /** The binding the request's cookie carries, if it carries a well-formed one. */
  of(req: Request): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === this.name) {
        const value = part.slice(eq + 1).trim();
        return VALUE.test(value) ? value : undefined;
      }
    }
    return undefined;
  }

  /** The browser's binding, a new one if it has none (a browser keeps one for all its tabs). */
  bindingFor(req: Request): string {
    return this.of(req) ?? randomBytes(32).toString('base64url');
  }

  /** (Re)sets the cookie, for as long as a pending authorization lives. */
  set(res: Response, value: string): void {
    res.cookie(this.name, value, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: this.secure ? '/' : '/auth', maxAge: this.maxAgeMs });
  }

  /**
   * Whether a post came from a page of this origin: its Origin, or without one its Referer. With
   * neither it is not a browser's cross-site post (browsers send Origin on every POST of a form).
   * `own`: the origin the request addressed the server by (one of its own names), if not the configured one.
   */
  fromThisOrigin(req: Request, own = this.origin): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined) return origin === own;
    const referer = req.headers.referer;
    if (referer === undefined) return true;
    try {
      return new URL(referer).origin === own;
    } catch {
      return false;
    }
  }
}

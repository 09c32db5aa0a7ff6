import { isIP } from 'node:net';
import type { Request } from 'express';
import type { Config } from '../config';

/**
 * The FHIR base URL to answer a request with (links, `Location`, `fullUrl`, SMART discovery).
 * A configured FHIR_BASE_URL is authoritative. Without it, a client that connected to
 * `127.0.0.1:8080` is answered with `http://127.0.0.1:8080/fhir`, not `localhost`: the request's Host
 * (X-Forwarded-Host and -Proto only from a proxy TRUST_PROXY trusts, as Express decides) is used when
 * it names the server itself: a loopback name or address, or one of FHIR_PUBLIC_HOSTS. Any other
 * Host gets the default base: a Host header is never reflected into links (cache poisoning).
 */
export function requestBaseUrl(config: Pick<Config, 'baseUrl' | 'baseUrlConfigured' | 'publicHosts'>, req: Request): string {
  if (config.baseUrlConfigured) return config.baseUrl;
  const host = req.host?.toLowerCase();
  const protocol = req.protocol;
  if (!host || (protocol !== 'http' && protocol !== 'https') || !isOwnHost(host, config.publicHosts)) return config.baseUrl;
  return `${protocol}://${host}${new URL(config.baseUrl).pathname.replace(/\/+$/, '')}`;
}

/** `name[:port]` of this server: loopback (any port: a port mapping may change it), or listed. */
export function isOwnHost(host: string, listed: string[]): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return false;
  const name = m[1];
  if (name === 'localhost' || name === '[::1]' || (isIP(name) === 4 && name.startsWith('127.'))) return true;
  return listed.includes(host) || listed.includes(name);
}

import { ID_PATTERN } from '../util';

/** `x/_history/n`: a version-specific form of x. */
const VERSIONED = new RegExp(`^(.*)/_history/(${ID_PATTERN})$`);

/**
 * Rewriting of references between the entries of a transaction (http.html#trules): every value that
 * names an entry's fullUrl is replaced by the resource's new location, in Reference.reference and in
 * uri/url/oid/uuid elements anywhere (nested elements, extensions, contained resources), and in
 * narrative href/src. Attachment.url is left alone; canonical values are not touched by the spec's
 * rule, and fullUrls that only look like canonicals never arise here (they are urn: or Type URLs).
 */
export function rewriteReferences(node: unknown, map: ReadonlyMap<string, string>): void {
  if (map.size === 0) return;
  const stack: unknown[] = [node];
  while (stack.length) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      current.forEach((item, i) => {
        if (typeof item === 'string') {
          const to = replacement(item, map);
          if (to !== undefined) current[i] = to;
        } else stack.push(item);
      });
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const obj = current as Record<string, unknown>;
    const attachment = 'contentType' in obj || 'data' in obj || 'size' in obj || 'hash' in obj;
    for (const [key, value] of Object.entries(obj)) {
      if (typeof value === 'string') {
        if (key === 'div') obj[key] = rewriteNarrative(value, map);
        else if (!(key === 'url' && attachment)) {
          const to = replacement(value, map);
          if (to !== undefined) obj[key] = to;
        }
      } else if (typeof value === 'object' && value !== null) {
        stack.push(value);
      }
    }
  }
}

/** The new value for a string naming an entry (also `urn:uuid:x/_history/n`, kept version-specific). */
function replacement(value: string, map: ReadonlyMap<string, string>): string | undefined {
  const direct = map.get(value);
  if (direct !== undefined) return direct;
  const m = VERSIONED.exec(value);
  const base = m ? map.get(m[1]) : undefined;
  return base !== undefined && m ? `${base}/_history/${m[2]}` : undefined;
}

function rewriteNarrative(div: string, map: ReadonlyMap<string, string>): string {
  return div.replace(/\b(href|src)=("|')([^"']*)\2/g, (whole, attr: string, quote: string, url: string) => {
    const to = replacement(url, map);
    return to === undefined ? whole : `${attr}=${quote}${to}${quote}`;
  });
}

/** Every conditional reference (`Type?criteria`) in a resource, to resolve before writing. */
export function conditionalReferences(node: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [node];
  while (stack.length) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      stack.push(...current);
      continue;
    }
    for (const [key, value] of Object.entries(current)) {
      if (key === 'reference' && typeof value === 'string' && /^[A-Z][A-Za-z]+\?/.test(value)) out.push(value);
      else if (typeof value === 'object' && value !== null) stack.push(value);
    }
  }
  return out;
}

/** Every string in a resource that names one of the given fullUrls (for batch, which cannot resolve them). */
export function mentionsAny(node: unknown, fullUrls: ReadonlySet<string>): string | undefined {
  if (fullUrls.size === 0) return undefined;
  const stack: unknown[] = [node];
  while (stack.length) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (fullUrls.has(current)) return current;
    } else if (typeof current === 'object' && current !== null) {
      stack.push(...(Array.isArray(current) ? current : Object.values(current)));
    }
  }
  return undefined;
}

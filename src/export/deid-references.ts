/**
 * Resource ids and the references to them replaced by pseudonyms: `Type/id` (relative, absolute or
 * versioned) becomes `Type/<pseudonym>`, the same as the target's own new id, so one recipient's
 * files still join among themselves. Contained references (`#x`) stay.
 */
export type Pseudonymiser = (type: string, id: string) => string;

const REFERENCE = /^(?:.*\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function pseudonymiseReference(reference: string, pseudonym: Pseudonymiser): string | undefined {
  if (reference.startsWith('#')) return reference;
  const m = REFERENCE.exec(reference.split(/[?#]/)[0]);
  return m ? `${m[1]}/${pseudonym(m[1], m[2])}` : undefined;
}

/** The resource with its id, every reference's id and every transaction entry's url pseudonymised. */
export function pseudonymiseIds<T>(resource: T, pseudonym: Pseudonymiser): T {
  const walk = (v: unknown, root = false): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === 'id' && root && typeof o.resourceType === 'string' && typeof x === 'string') {
        // a contained resource's id is local to its container (`#x`) and names nothing
        out[k] = pseudonym(o.resourceType, x);
      } else if ((k === 'reference' || (k === 'url' && 'method' in o)) && typeof x === 'string') {
        // a reference that is not to a resource here (a URN, an outside URL) is not kept: it may name someone
        const r = pseudonymiseReference(x, pseudonym);
        if (r !== undefined) out[k] = r;
      } else out[k] = walk(x);
    }
    return out;
  };
  return walk(resource, true) as T;
}

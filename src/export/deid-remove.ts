/**
 * The direct identifiers FHIR holds in its own elements, removed wherever they sit (contained
 * resources and extensions included): names, telecom, photos, narrative, notes and free-text
 * descriptions, identifiers, Patient.contact, Reference.display, the content of attachments and
 * Binaries; addresses kept down to country,
 * state and the first four digits of a six-digit division or postal code.
 */
// Coverage.subscriberId is an insurance member number written as a plain string
const DROP = new Set(['telecom', 'photo', 'identifier', 'subscriberId', 'note', 'description', 'comment', 'valueHumanName', 'valueContactPoint', 'valueIdentifier', 'valueAttachment']);
const ADDRESS_KEEP = new Set(['use', 'type', 'state', 'country']);
const ADDRESS_KEYS = new Set(['address', 'valueAddress']);
/** What an Attachment (or a Binary) keeps: its content is free text, scans and images nobody has read. */
const ATTACHMENT_KEEP = new Set(['contentType', 'language', 'creation', 'size']);

export interface Removal<T> {
  resource: T;
  /** Elements were taken out (REDACTED). */
  removed: boolean;
  /** Elements were kept coarser (MASKED): addresses cut down. */
  masked: boolean;
}

/** `110105` (a county-level division, or a postal code) to `1101`; anything else is not kept. */
export function coarseArea(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{6}$/.test(value) ? value.slice(0, 4) : undefined;
}

export function removeDirectIdentifiers<T>(resource: T): Removal<T> {
  let removed = false;
  let masked = false;
  const address = (a: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) {
      if (ADDRESS_KEEP.has(k)) out[k] = v;
      else if (k === 'postalCode' || k === 'district') {
        const c = coarseArea(v);
        if (c) out[k] = c;
        masked = true;
      } else removed = true;
    }
    return out;
  };
  const walk = (v: unknown, parentType?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const type = typeof o.resourceType === 'string' ? o.resourceType : parentType;
    const isResource = typeof o.resourceType === 'string';
    // Coding.display names a code and stays; Reference.display names a person or a place and goes
    const isCoding = 'code' in o || 'system' in o;
    const isAttachment = 'contentType' in o && (!isResource || type === 'Binary');
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (isAttachment && !ATTACHMENT_KEEP.has(k) && !(isResource && ['resourceType', 'id', 'meta'].includes(k))) {
        removed = true;
        continue;
      }
      const gone =
        DROP.has(k) ||
        (k === 'name' && typeof x !== 'string') ||
        (k === 'display' && !isCoding) ||
        (isResource && k === 'text' && !!x && typeof x === 'object' && 'div' in x) ||
        (isResource && k === 'contact' && type === 'Patient') ||
        (k === 'source' && !!x && typeof x === 'string' && parentType === 'meta');
      if (gone) {
        removed = true;
        continue;
      }
      if (ADDRESS_KEYS.has(k)) {
        out[k] = Array.isArray(x) ? x.map((a) => address(a as Record<string, unknown>)) : address(x as Record<string, unknown>);
        continue;
      }
      out[k] = walk(x, k === 'meta' ? 'meta' : undefined);
    }
    return out;
  };
  return { resource: prune(walk(resource)) as T, removed, masked };
}

const isEmpty = (v: unknown) => v === undefined || (!!v && typeof v === 'object' && Object.keys(v).length === 0);

/**
 * FHIR has no empty elements: what removal left empty goes (a Reference that had only a display or
 * an identifier, an address with nothing coarse left, an extension whose value was a name).
 */
export function prune(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) {
    const kept = v.map((x) => prune(x, key)).filter((x) => !isEmpty(x));
    return kept.length ? kept : undefined;
  }
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const kept = prune(x, k);
    if (!isEmpty(kept)) out[k] = kept;
  }
  if ((key === 'extension' || key === 'modifierExtension') && Object.keys(out).every((k) => k === 'url')) return undefined;
  return out;
}

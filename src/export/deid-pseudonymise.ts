import type { Resource } from '../fhir/types';
import { redactCnIdentifiers } from './deid-cn-identifiers';
import { bandBirthDate, shiftDates } from './deid-dates';
import { dayOffset, pseudonym } from './deid-keys';
import { pseudonymiseIds, pseudonymiseReference } from './deid-references';
import { prune, removeDirectIdentifiers } from './deid-remove';

export const SECURITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue';
const LABELS = { PSEUDED: 'pseudonymized', MASKED: 'masked', REDACTED: 'redacted' } as const;
export type Label = keyof typeof LABELS;

/** Strings that are identifiers of things, not text about a person. */
const NOT_TEXT = new Set(['id', 'reference', 'system', 'code', 'url', 'version', 'versionId', 'resourceType']);
/** Where a resource names its person, most specific first. */
const PERSON_ELEMENTS = ['subject', 'patient', 'beneficiary'];

/**
 * Whose dates these are: the Patient itself, else the patient its subject, patient or beneficiary
 * names, else any Patient it refers to; a resource about no patient is its own person.
 */
export function personOf(resource: Resource): string {
  if (resource.resourceType === 'Patient') return `Patient/${resource.id}`;
  const r = resource as unknown as Record<string, unknown>;
  const patientRef = (v: unknown): string | undefined => {
    const ref = (v as { reference?: unknown } | undefined)?.reference;
    const m = typeof ref === 'string' ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    return m ? `Patient/${m[1]}` : undefined;
  };
  for (const k of PERSON_ELEMENTS) {
    const found = patientRef(r[k]);
    if (found) return found;
  }
  let any: string | undefined;
  const walk = (v: unknown) => {
    if (any || !v || typeof v !== 'object') return;
    any = patientRef(v);
    for (const x of Object.values(v)) walk(x);
  };
  walk(r);
  return any ?? `${resource.resourceType}/${resource.id}`;
}

export function redactStrings<T>(resource: T): { resource: T; changed: boolean } {
  let changed = false;
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') {
      if (NOT_TEXT.has(key)) return v;
      const r = redactCnIdentifiers(v);
      changed ||= r.changed;
      return r.text;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return { resource: walk(resource, '') as T, changed };
}

export function tag(resource: Resource, labels: Label[]): Resource {
  if (!labels.length) return resource;
  const security = [...(resource.meta?.security ?? [])];
  for (const code of labels) if (!security.some((c) => c.system === SECURITY_SYSTEM && c.code === code)) security.push({ system: SECURITY_SYSTEM, code, display: LABELS[code] });
  return { ...resource, meta: { ...resource.meta, security } } as Resource;
}

/**
 * The `pseudonymised` policy for one recipient, whose key is `key`: direct identifiers removed,
 * dates moved by the person's offset, ids and references pseudonymised, identity, phone and card
 * numbers cut from the text left, and the resource labelled with what was done. `at` is the export's
 * transaction time, against which ages are banded.
 */
export function pseudonymise(resource: Resource, key: Buffer, at: string): Resource {
  const labels = new Set<Label>();
  const person = personOf(resource);
  const originalBirthDate = (resource as { birthDate?: string }).birthDate;

  const removal = removeDirectIdentifiers(resource);
  if (removal.removed) labels.add('REDACTED');
  if (removal.masked) labels.add('MASKED');

  const shifted = shiftDates(removal.resource, dayOffset(key, person));
  let out = shifted.resource as Resource & { birthDate?: string };
  if (shifted.changed) labels.add('MASKED');
  const band = originalBirthDate ? bandBirthDate(originalBirthDate, at) : undefined;
  if (band) out = { ...out, birthDate: band };

  out = prune(pseudonymiseIds(out, (type, id) => pseudonym(key, type, id))) as Resource;
  labels.add('PSEUDED');

  const redacted = redactStrings(out);
  if (redacted.changed) labels.add('REDACTED');
  return tag(redacted.resource, [...labels]);
}

/** A reference as the recipient's files spell it (the organizeOutputBy header, tests). */
export function pseudonymisedReference(reference: string, key: Buffer): string | undefined {
  return pseudonymiseReference(reference, (type, id) => pseudonym(key, type, id));
}

import type { AnonymisedPolicy } from '../config';
import type { Resource } from '../fhir/types';
import { birthKey, decadeOf, regionKey, releasedAddress, releasedBirth, type PersonQi, type ReleasedBirth } from './anon-qi';
import { shiftDate, shiftDates, truncateDate, truncateDates } from './deid-dates';
import { dayOffset, pseudonym } from './deid-keys';
import { personOf, redactStrings, tag, type Label } from './deid-pseudonymise';
import { pseudonymiseIds } from './deid-references';
import { prune, removeDirectIdentifiers } from './deid-remove';

/** Where a birth released as a band of years is written (Patient.birthDate cannot hold a band). */
export const BIRTH_BAND_URL = 'http://insured.example.org/fhir/StructureDefinition/birth-date-band';

/** What the measuring pass decided: the levels every person is released at, and who is left out. */
export interface Release {
  birthLevel: number;
  regionLevel: number;
  /** The persons measured (Patient ids): a resource about anyone else is not released. */
  population: Set<string>;
  suppressed: Set<string>;
}

/** What a Patient keeps: the quasi-identifiers the risk is measured over, and nothing else that could single it out. */
const PATIENT_KEEP = new Set(['resourceType', 'id', 'meta', 'gender', 'birthDate', 'address', 'deceasedBoolean', 'deceasedDateTime', 'active']);
/** Free text the pseudonymised policy leaves (coded text, string values): the anonymised one removes it. */
const FREE_TEXT = new Set(['valueString', 'valueMarkdown']);

type Patient = { resourceType: string; id?: string; birthDate?: string; gender?: string; address?: Record<string, unknown>[]; deceasedDateTime?: string; deceasedBoolean?: boolean; extension?: unknown[]; [k: string]: unknown };

/**
 * The `anonymised` policy for one recipient (`key`) at the export's transaction time `at`: the
 * pseudonymised policy's removals, pseudonyms and text redaction, and on top of them free text
 * removed, Patients cut to their quasi-identifiers, dates cut to month or year (or shifted per
 * person), births and regions released at the levels the risk measurement chose, and the persons it
 * suppressed left out.
 */
export class Anonymiser {
  constructor(
    private readonly key: Buffer,
    private readonly at: string,
    private readonly dates: AnonymisedPolicy['dates']
  ) {}

  /** A date as the files release it, for the person `person` (`Patient/id`). */
  date(value: string, element: string, person: string): string {
    const out = this.dates === 'shift' ? shiftDate(value, dayOffset(this.key, person), element) : truncateDate(value, this.dates, element);
    return out ?? value;
  }

  /** A Patient's class key parts at every level (what the measuring pass keeps of it). */
  personQi(resource: Resource): Omit<PersonQi, 'visits' | 'rare' | 'diagnosis'> {
    const patient = resource as unknown as Patient;
    const person = `Patient/${patient.id}`;
    const birthDate = patient.birthDate ? this.date(patient.birthDate, 'birthDate', person) : undefined;
    const addresses = (removeDirectIdentifiers({ address: patient.address ?? [] }).resource as { address?: Record<string, unknown>[] }).address ?? [];
    const region = [0, 1, 2].map((l) => regionKey(addresses.map((a) => releasedAddress(a, l)).map((a) => prune(a) as Record<string, unknown>).filter(Boolean)));
    const birth = [0, 1, 2].map((l) => birthKey(releasedBirth(birthDate, patient.birthDate, this.at, l)));
    const trueYear = patient.birthDate?.slice(0, 4);
    return { id: patient.id as string, birth, decade: trueYear && /^\d{4}$/.test(trueYear) ? decadeOf(trueYear) : 'unknown', sex: patient.gender ?? '', region };
  }

  /** The resource as released, or null: it is about a person who is suppressed or was not measured. */
  transform(resource: Resource, release: Release): Resource | null {
    const person = personOf(resource);
    const patientId = person.startsWith('Patient/') ? person.slice('Patient/'.length) : undefined;
    if (patientId !== undefined && (!release.population.has(patientId) || release.suppressed.has(patientId))) return null;
    const labels = new Set<Label>();
    let r = resource as unknown as Patient;
    const originalBirth = r.resourceType === 'Patient' ? r.birthDate : undefined;
    if (r.resourceType === 'Patient') {
      const kept = Object.fromEntries(Object.entries(r).filter(([k]) => PATIENT_KEEP.has(k))) as Patient;
      if (Object.keys(kept).length < Object.keys(r).length) labels.add('REDACTED');
      // a date of death is a date of the person no coarser than a birth date: only the fact stays
      if (kept.deceasedDateTime) {
        delete kept.deceasedDateTime;
        kept.deceasedBoolean = true;
        labels.add('MASKED');
      }
      r = kept;
    }
    const removal = removeDirectIdentifiers(r);
    if (removal.removed) labels.add('REDACTED');
    if (removal.masked) labels.add('MASKED');
    const text = removeFreeText(removal.resource);
    if (text.removed) labels.add('REDACTED');
    const dated = this.dates === 'shift' ? shiftDates(text.resource, dayOffset(this.key, person)) : truncateDates(text.resource, this.dates);
    if (dated.changed) labels.add('MASKED');
    let out = dated.resource as Patient;
    if (out.resourceType === 'Patient') {
      out = this.generalisePatient(out, originalBirth, release);
      labels.add('MASKED');
    }
    out = prune(pseudonymiseIds(out, (type, id) => pseudonym(this.key, type, id))) as Patient;
    labels.add('PSEUDED');
    const redacted = redactStrings(out);
    if (redacted.changed) labels.add('REDACTED');
    return tag(redacted.resource as unknown as Resource, [...labels]);
  }

  private generalisePatient(p: Patient, originalBirth: string | undefined, release: Release): Patient {
    const { birthDate, ...rest } = p;
    const out: Patient = { ...rest };
    const birth: ReleasedBirth | undefined = releasedBirth(birthDate, originalBirth, this.at, release.birthLevel);
    if (birth?.birthDate) out.birthDate = birth.birthDate;
    if (birth?.band) {
      out.extension = [{ url: BIRTH_BAND_URL, valuePeriod: { ...(birth.band.start ? { start: birth.band.start } : {}), end: birth.band.end } }];
    }
    if (p.address) out.address = p.address.map((a) => releasedAddress(a, release.regionLevel));
    return out;
  }
}

/** CodeableConcept.text and string values: free text, gone wherever it sits. */
export function removeFreeText<T>(resource: T): { resource: T; removed: boolean } {
  let removed = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (FREE_TEXT.has(k) || (k === 'text' && typeof x === 'string')) {
        removed = true;
        continue;
      }
      out[k] = walk(x);
    }
    return out;
  };
  return { resource: prune(walk(resource)) as T, removed };
}

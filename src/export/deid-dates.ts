/**
 * Date shifting. Rather than walk each resource by its StructureDefinition, every string value in
 * FHIR date, dateTime or instant form is shifted (year-month precision at least; a bare year only in
 * elements whose name says it is a date: `birthDate`, `*Date`, `*DateTime`, `start`, `end`...).
 * That covers date, dateTime, instant and Period wherever they sit, extensions included; a
 * valueString that happens to be a date is shifted too, which loses nothing.
 */
const DATE_TIME = /^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
const YEAR_KEYS = /(^birthDate$|Date$|DateTime$|^date$|^start$|^end$|^issued$|^created$|^recorded$|^authoredOn$)/;
/** Values that are never dates even when they look like one. */
const SKIP_KEYS = new Set(['id', 'reference', 'system', 'code', 'url', 'version', 'versionId']);

const DAY = 86_400_000;

/** One FHIR date/dateTime/instant moved by whole days, in its own precision; undefined: not one. */
export function shiftDate(value: string, days: number, key = ''): string | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, rest] = m;
  if (!mo && !YEAR_KEYS.test(key)) return undefined;
  // a partial date is moved from its middle, so a year or month moves by about the offset
  const base = Date.UTC(Number(y), mo ? Number(mo) - 1 : 6, d ? Number(d) : mo ? 15 : 1);
  const moved = new Date(base + days * DAY).toISOString();
  if (!mo) return moved.slice(0, 4);
  if (!d) return moved.slice(0, 7);
  // the time of day and its zone stay as written: intervals between two values are kept exactly
  return moved.slice(0, 10) + (rest ?? '');
}

/** Every date in the resource moved by `days`; whether any was. */
export function shiftDates<T>(resource: T, days: number): { resource: T; changed: boolean } {
  return mapDateStrings(resource, (v, key) => shiftDate(v, days, key));
}

/** Each string of the resource (outside SKIP_KEYS) replaced by what `fn` makes of it, when it makes something else. */
function mapDateStrings<T>(resource: T, fn: (value: string, key: string) => string | undefined): { resource: T; changed: boolean } {
  let changed = false;
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') {
      if (SKIP_KEYS.has(key)) return v;
      const s = fn(v, key);
      if (s === undefined || s === v) return v;
      changed = true;
      return s;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return { resource: walk(resource, '') as T, changed };
}

/** Elements of type instant, which must keep a time: cut to the first instant of the month or year. */
const INSTANT_KEYS = new Set(['lastUpdated', 'issued', 'timestamp', 'recorded', 'when']);

/** One FHIR date/dateTime/instant cut to its month or year; undefined: not one. */
export function truncateDate(value: string, precision: 'month' | 'year', key = ''): string | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, , time] = m;
  if (!mo && !YEAR_KEYS.test(key)) return undefined;
  const month = precision === 'month' && mo ? mo : undefined;
  if (time && INSTANT_KEYS.has(key)) return `${y}-${month ?? '01'}-01T00:00:00Z`;
  return month ? `${y}-${month}` : y;
}

/** Every date in the resource cut to `precision`; whether any changed. */
export function truncateDates<T>(resource: T, precision: 'month' | 'year'): { resource: T; changed: boolean } {
  return mapDateStrings(resource, (v, key) => truncateDate(v, precision, key));
}

/** Age in whole years on `at` of someone born on `birthDate` (any precision, taken at its earliest). */
export function ageOn(birthDate: string, at: string): number {
  const [y, m = '01', d = '01'] = birthDate.slice(0, 10).split('-');
  const [ay, am, ad] = at.slice(0, 10).split('-');
  const before = am < m || (am === m && ad < d);
  return Number(ay) - Number(y) - (before ? 1 : 0);
}

/** HIPAA-style banding: a person over 89 on `at` is given the birth year of a 90-year-old, nothing finer. */
export function bandBirthDate(birthDate: string, at: string): string | undefined {
  return ageOn(birthDate, at) > 89 ? String(Number(at.slice(0, 4)) - 90) : undefined;
}

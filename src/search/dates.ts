const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * A FHIR date, dateTime or instant as the half-open range [low, high) of epoch milliseconds it covers
 * at its precision (search.html#date). A dateTime without a zone is read as UTC.
 * Returns undefined for text that is not a valid FHIR date.
 */
export function dateRange(text: string): [number, number] | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : undefined;
  const day = d ? Number(d) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month as number))) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  if (h !== undefined && s === undefined && zone === undefined && text.length > 16) return undefined;
  if (month === undefined) return [Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1)];
  if (day === undefined) return [Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1)];
  if (h === undefined) return [Date.UTC(year, month - 1, day), Date.UTC(year, month - 1, day + 1)];
  const offsetMs = zoneOffsetMs(zone);
  const base = Date.UTC(year, month - 1, day, Number(h), Number(mi), s ? Number(s) : 0) - offsetMs;
  if (s === undefined) return [base, base + 60_000];
  if (!frac) return [base, base + 1000];
  const digits = frac.length - 1;
  const ms = Number(frac) * 1000;
  const step = digits >= 3 ? 1 : 10 ** (3 - digits);
  return [base + Math.floor(ms), base + Math.floor(ms) + step];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

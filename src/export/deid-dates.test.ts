import { ageOn, bandBirthDate, shiftDate, shiftDates, truncateDate, truncateDates } from './deid-dates';

describe('date shifting', () => {
  it('moves each FHIR date form by whole days in its own precision', () => {
    expect(shiftDate('2024-03-01', -1)).toBe('2024-02-29');
    expect(shiftDate('2024-12-31T23:30:00+08:00', 1)).toBe('2025-01-01T23:30:00+08:00');
    expect(shiftDate('2026-01-10T08:00:00.123Z', 30)).toBe('2026-02-09T08:00:00.123Z');
    expect(shiftDate('2024-05', 31)).toBe('2024-06');
    expect(shiftDate('1980', 365, 'birthDate')).toBe('1981');
    // a bare year outside a date element, and things that are not dates, stay
    expect(shiftDate('1980', 365, 'valueString')).toBeUndefined();
    expect(shiftDate('8867-4', 3)).toBeUndefined();
    expect(shiftDate('2024-13-01', 3)).toBeUndefined();
  });

  it('shifts every date of an Encounter and keeps the intervals between them', () => {
    const encounter = {
      resourceType: 'Encounter',
      id: 'e1',
      meta: { versionId: '2024-01-01', lastUpdated: '2024-05-03T10:00:00Z' },
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      period: { start: '2024-05-01T09:15:00+08:00', end: '2024-05-03T11:00:00+08:00' },
      statusHistory: [{ status: 'in-progress', period: { start: '2024-05-01T09:15:00+08:00' } }],
      extension: [{ url: 'http://example.org/admitted', valueDate: '2024-05-01' }],
    };
    const { resource, changed } = shiftDates(encounter, -100);
    expect(changed).toBe(true);
    expect(resource.period).toEqual({ start: '2024-01-22T09:15:00+08:00', end: '2024-01-24T11:00:00+08:00' });
    expect(Date.parse(resource.period.end) - Date.parse(resource.period.start)).toBe(Date.parse(encounter.period.end) - Date.parse(encounter.period.start));
    expect(resource.extension[0].valueDate).toBe('2024-01-22');
    expect(resource.meta.lastUpdated).toBe('2024-01-24T10:00:00Z');
    expect(resource.meta.versionId).toBe('2024-01-01');
    expect(resource.class).toEqual(encounter.class);
    expect(encounter.period.start).toBe('2024-05-01T09:15:00+08:00'); // the input is left as it was
  });

  it('bands the birth date of people over 89', () => {
    expect(ageOn('1936-06-01', '2026-05-31')).toBe(89);
    expect(bandBirthDate('1936-06-01', '2026-05-31T00:00:00Z')).toBeUndefined();
    expect(bandBirthDate('1936-05-31', '2026-05-31T00:00:00Z')).toBe('1936');
    expect(bandBirthDate('1920-02-02', '2026-05-31T00:00:00Z')).toBe('1936');
    expect(bandBirthDate('1980', '2026-05-31T00:00:00Z')).toBeUndefined();
  });
});

describe('date truncation', () => {
  it('cuts dates and dateTimes to the month or year, and instants to the first instant of it', () => {
    expect(truncateDate('2026-02-28T08:00:00+08:00', 'month', 'effectiveDateTime')).toBe('2026-02');
    expect(truncateDate('2026-02-28', 'year', 'birthDate')).toBe('2026');
    expect(truncateDate('2026-02-28T09:00:00.123Z', 'month', 'issued')).toBe('2026-02-01T00:00:00Z');
    expect(truncateDate('2026-02-28T09:00:00Z', 'year', 'lastUpdated')).toBe('2026-01-01T00:00:00Z');
    // a bare year only where the element is a date; anything else is not a date
    expect(truncateDate('1980', 'month', 'birthDate')).toBe('1980');
    expect(truncateDate('1980', 'month', 'value')).toBeUndefined();
    expect(truncateDate('not a date', 'month', 'start')).toBeUndefined();
  });
  it('walks the resource, leaving ids and codes alone', () => {
    const r = { id: '2026-02-28', period: { start: '2026-02-27T20:00:00+08:00', end: '2026-03-03' }, code: '2026-01' };
    expect(truncateDates(r, 'month')).toEqual({ resource: { id: '2026-02-28', period: { start: '2026-02', end: '2026-03' }, code: '2026-01' }, changed: true });
    expect(truncateDates({ period: { start: '2026-02' } }, 'month').changed).toBe(false);
  });
});

import { loadImplementationGuide } from '../../src/definitions/ig';
import { BIRTH_BAND_URL } from '../../src/export/deid-anonymise';
import type { StructureDefinition } from '../../src/fhir/types';

/** The extension an anonymised export writes for a banded birth (deid-anonymise.ts) is the guide's own, in the shape the export writes. */
const ig = loadImplementationGuide();

describe('birth-date-band', () => {
  const sd = ig.structureDefinitions.find((s) => s.url === BIRTH_BAND_URL) as StructureDefinition;

  it('is defined by the guide, on Patient, as a Period', () => {
    expect(sd).toMatchObject({ type: 'Extension', context: [{ type: 'element', expression: 'Patient' }] });
    const value = sd.snapshot?.element.find((e) => e.path === 'Extension.value[x]');
    expect(value?.type?.map((t) => t.code)).toEqual(['Period']);
  });

  it('requires the end year; the start may be absent (open below)', () => {
    const end = sd.differential?.element.find((e) => e.id === 'Extension.value[x].end');
    expect(end?.min).toBe(1);
    const start = sd.snapshot?.element.find((e) => e.id === 'Extension.value[x].start');
    expect(start?.min ?? 0).toBe(0);
  });
});

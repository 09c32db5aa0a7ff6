import type { Parameters } from '../types';
import { checkFhirPathPatch } from './fhirpath-patch';

const doc = (path: string, extra: { name: string; valueString?: string }[] = []): Parameters => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: extra.length ? 'add' : 'delete' }, { name: 'path', valueString: path }, ...extra] }],
});
const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { status: number }).status;
  }
};

describe('checkFhirPathPatch', () => {
  it('accepts navigation, indexes and filters, with anything inside string literals', () => {
    for (const path of [
      'Patient.name[0].given',
      "Patient.identifier.where(system = 'urn:a|b%c' and value.startsWith('x')).first()",
      "Patient.telecom.where(system='phone' and use='home')",
      "Observation.value.ofType(Quantity)",
      "Patient.extension('http://example.org/select(x)')",
      'Patient.name.where(given.exists().not()).last()',
    ]) {
      expect([path, status(() => checkFhirPathPatch(doc(path), 10))]).toEqual([path, undefined]);
    }
  });

  it('refuses functions that build collections, variables, unions, prototype names and long paths', () => {
    for (const path of [
      'Patient.name.select(given)',
      'Patient.name.combine(Patient.name).first()',
      'Patient.repeat(contained).first()',
      'Patient.children().first()',
      'Patient.descendants().first()',
      'Patient.name.aggregate($this)',
      'Patient.name.where(%resource.id.exists())',
      '(Patient.name | Patient.address).first()',
      'Patient.hasOwnProperty',
      `Patient.name${'.where(true)'.repeat(100)}`,
    ]) {
      expect([path, status(() => checkFhirPathPatch(doc(path), 10))]).toEqual([path, 400]);
    }
  });

  it('refuses added element names that are not names', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'a b', '', 'x'.repeat(65)]) {
      expect([name, status(() => checkFhirPathPatch(doc('Patient', [{ name: 'name', valueString: name }]), 10))]).toEqual([name, 400]);
    }
    expect(status(() => checkFhirPathPatch(doc('Patient', [{ name: 'name', valueString: 'gender' }]), 10))).toBeUndefined();
  });

  it('refuses more operations than allowed with 422', () => {
    const many: Parameters = { resourceType: 'Parameters', parameter: Array.from({ length: 11 }, () => doc('Patient.active').parameter?.[0] as never) };
    expect(status(() => checkFhirPathPatch(many, 10))).toBe(422);
  });
});

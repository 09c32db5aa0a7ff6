import { getRegistry } from '../definitions/registry';
import { expandLocally } from './bindings';
import { validate } from './validate';
import type { Resource } from '../fhir/types';

beforeAll(() => getRegistry());

const bindingIssues = (r: unknown) => validate(r as Resource).filter((i) => i.code === 'code-invalid');

describe('required bindings', () => {
  it('expands spec ValueSets from their CodeSystems', () => {
    expect(expandLocally('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')).toEqual(new Set(['male', 'female', 'other', 'unknown']));
    expect(expandLocally('http://example.org/unknown')).toBeNull();
  });

  it('flags a code outside the ValueSet at its element, nested ones too', () => {
    const patient = { resourceType: 'Patient', gender: 'bogus', contact: [{ gender: 'x', name: { family: 'a' } }] };
    expect(bindingIssues(patient).map((i) => i.expression?.[0])).toEqual(['Patient.gender', 'Patient.contact[0].gender']);
    expect(bindingIssues({ resourceType: 'Observation', status: 'final', code: { text: 'x' } })).toEqual([]);
    expect(bindingIssues({ resourceType: 'Observation', status: 'done', code: { text: 'x' } })[0]).toMatchObject({
      severity: 'error',
      expression: ['Observation.status'],
      details: { text: 'Value "done" is not in the required ValueSet http://hl7.org/fhir/ValueSet/observation-status' },
    });
  });

  it('checks codes inside datatypes (CodeableConcepts under a profile binding: test/ig)', () => {
    const patient = (system: string) => ({ resourceType: 'Patient', telecom: [{ system, value: 'x' }] });
    expect(bindingIssues(patient('phone'))).toEqual([]);
    expect(bindingIssues(patient('pigeon'))[0].expression).toEqual(['Patient.telecom[0].system']);
  });
});

import { getRegistry } from '../definitions/registry';
import { checkRequiredBindings, expandLocally } from './bindings';
import type { Resource } from '../fhir/types';

beforeAll(() => getRegistry());

describe('required bindings on code elements', () => {
  it('expands spec ValueSets from their CodeSystems', () => {
    expect(expandLocally('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')).toEqual(new Set(['male', 'female', 'other', 'unknown']));
    expect(expandLocally('http://example.org/unknown')).toBeNull();
  });

  it('flags a code outside the ValueSet at its element, nested ones too', () => {
    const patient = { resourceType: 'Patient', gender: 'bogus', contact: [{ gender: 'x', name: { family: 'a' } }] } as unknown as Resource;
    expect(checkRequiredBindings(patient).map((i) => i.expression?.[0])).toEqual(['Patient.gender', 'Patient.contact[0].gender']);
    expect(checkRequiredBindings({ resourceType: 'Observation', status: 'final', code: { text: 'x' } } as Resource)).toEqual([]);
    expect(checkRequiredBindings({ resourceType: 'Observation', status: 'done', code: { text: 'x' } } as unknown as Resource)[0]).toMatchObject({
      code: 'code-invalid',
      expression: ['Observation.status'],
    });
  });
});

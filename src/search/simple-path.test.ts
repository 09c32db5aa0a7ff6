import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import { getRegistry } from '../definitions/registry';
import type { Resource } from '../fhir/types';
import { compileSimplePath, evalSimplePath } from './simple-path';

const observation = {
  resourceType: 'Observation',
  id: 'o1',
  meta: { lastUpdated: '2026-01-01T00:00:00Z', tag: [{ system: 's', code: 'a' }, {}, { code: 'b' }], profile: [] },
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }, null], text: 'Heart rate' },
  subject: { reference: 'Patient/p1' },
  component: [
    { code: { coding: [{ code: '1' }] }, valueQuantity: { value: 1 } },
    { code: { text: '' } },
    { code: { coding: [{ code: '2' }, { code: '3' }] } },
  ],
} as unknown as Resource;

/** What the FHIRPath evaluator gives, without the paths it adds. */
function evaluated(expression: string, resource: Resource): { type: string; value: unknown }[] {
  return evalFhirPathTyped(parseFhirPath(expression), [toTypedValue(resource)]).map(({ type, value }) => ({ type, value }));
}

function walked(expression: string, resource: Resource): { type: string; value: unknown }[] | undefined {
  const path = compileSimplePath(resource.resourceType, parseFhirPath(expression));
  if (!path) throw new Error(`${expression} did not compile`);
  return evalSimplePath(path, resource);
}

describe('plain SearchParameter paths walked directly', () => {
  beforeAll(() => getRegistry()); // loads the definitions the paths are typed from

  it.each([
    'Observation.status',
    'Observation.code',
    'Observation.code.coding',
    'Observation.code.text',
    'Observation.subject',
    'Observation.component.code',
    'Observation.component.code.coding.code',
    'Observation.meta.lastUpdated',
    'Observation.meta.tag',
    'Observation.meta.profile',
    'Observation.encounter',
  ])('%s gives what the FHIRPath evaluator gives', (expression) => {
    expect(walked(expression, observation)).toEqual(evaluated(expression, observation));
  });

  it.each([
    ['Observation', 'Observation.value'], // a choice: the type comes from the value
    ['Observation', 'Observation.value.ofType(Quantity)'],
    ['Observation', 'Observation.subject.where(resolve() is Patient)'],
    ['Observation', 'Observation.code | Observation.component.code'],
    ['Bundle', 'Bundle.entry.resource'], // a Resource: the type comes from the value
    ['Observation', 'Patient.gender'], // another type's path
  ])('on %s, %s is left to the evaluator', (resourceType, expression) => {
    expect(compileSimplePath(resourceType, parseFhirPath(expression))).toBeUndefined();
  });

  it('a primitive extension on the way is left to the evaluator, which merges it', () => {
    const extended = { ...observation, _status: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } } as unknown as Resource;
    expect(walked('Observation.status', extended)).toBeUndefined();
    expect(walked('Observation.code', extended)).toEqual(evaluated('Observation.code', extended));
  });
});

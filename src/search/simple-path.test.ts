import fs from 'node:fs';
import path from 'node:path';
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import { getRegistry } from '../definitions/registry';
import { expressionFor } from './extract';
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
    'Observation.component.code.coding',
    'Observation.subject.where(resolve() is Patient)',
    'Observation.subject.where(resolve() is Group)',
    'Observation.code | Observation.component.code',
    'Observation.subject | Observation.subject', // a union keeps one of equal values
    'Condition.code | Observation.code', // another type's member yields nothing
    'Patient.gender',
    'Observation.value', // a choice: the type comes from the property present
    'Observation.value.ofType(Quantity)',
    'Observation.value.ofType(string)',
    'Observation.component.value.ofType(Quantity)',
    'Observation.effective',
    '(Observation.value.ofType(Quantity) | Observation.component.value.ofType(Quantity))',
  ])('%s gives what the FHIRPath evaluator gives', (expression) => {
    expect(walked(expression, observation)).toEqual(evaluated(expression, observation));
  });

  it.each([
    ['Observation', 'Observation.value.code'], // a choice on the way: the next step's type depends on the value
    ['Observation', 'Observation.value.where(resolve() is Patient)'], // a choice is not known to be a Reference
    ['Observation', 'Observation.subject.where(resolve().exists())'],
    ['Observation', 'Observation.code | Observation.value.exists()'], // one member is not plain: the whole union
    ['Observation', 'Observation.code.where(resolve() is Patient)'], // not a Reference
    ['Bundle', 'Bundle.entry.resource'], // a Resource: the type comes from the value
    ['Observation', 'Resource.meta'], // an abstract type's path
  ])('on %s, %s is left to the evaluator', (resourceType, expression) => {
    expect(compileSimplePath(resourceType, parseFhirPath(expression))).toBeUndefined();
  });

  it('a primitive extension on the way is left to the evaluator, which merges it', () => {
    const extended = { ...observation, _status: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } } as unknown as Resource;
    expect(walked('Observation.status', extended)).toBeUndefined();
    expect(walked('Observation.code', extended)).toEqual(evaluated('Observation.code', extended));
  });

  it.each([
    [{ reference: 'Patient/p1' }, true],
    [{ reference: 'Patient/p1/_history/2' }, true],
    [{ reference: 'Patient?identifier=a|b' }, true],
    [{ reference: 'Group/g1' }, false],
    [{ reference: 'http://example.org/fhir/Patient/p1' }, false], // the evaluator reads the first segment
    [{ reference: '#contained' }, false],
    [{ type: 'Patient', identifier: { system: 's', value: 'v' } }, true],
    [{ reference: '', type: 'Patient', identifier: { value: 'v' } }, true],
    [{ display: 'no reference' }, false],
  ])('where(resolve() is Patient) on %j agrees with the evaluator (kept: %s)', (subject, kept) => {
    const resource = { ...observation, subject } as unknown as Resource;
    const expression = 'Observation.subject.where(resolve() is Patient)';
    expect(walked(expression, resource)).toEqual(evaluated(expression, resource));
    expect(walked(expression, resource)).toHaveLength(kept ? 1 : 0);
  });

  it.each([
    ['a Quantity without a value, which ofType(Quantity) does not count', { valueQuantity: { unit: 'mmHg' } }],
    ['a Period', { effectivePeriod: { start: '2026-01-01' } }],
    ['an empty Period', { effectivePeriod: {} }],
    ['a string', { valueString: 'high' }],
  ])('a choice holding %s agrees with the evaluator', (_what, choice) => {
    const resource = { ...observation, ...choice } as unknown as Resource;
    for (const expression of ['Observation.value', 'Observation.value.ofType(Quantity)', 'Observation.effective.ofType(Period)', 'Observation.effective']) {
      expect(walked(expression, resource)).toEqual(evaluated(expression, resource));
    }
  });

  it('a choice with a primitive extension is left to the evaluator', () => {
    const resource = { ...observation, valueString: 'x', _valueString: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } } as unknown as Resource;
    expect(walked('Observation.value', resource)).toBeUndefined();
  });

  it('a Reference with an inline resource is left to the evaluator', () => {
    const resource = { ...observation, subject: { reference: 'Patient/p1', resource: { resourceType: 'Group' } } } as unknown as Resource;
    expect(walked('Observation.subject.where(resolve() is Patient)', resource)).toBeUndefined();
  });
});

const SYNTHEA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'synthea');

/**
 * The whole of R4's and the guide's SearchParameters over real data: wherever a parameter's
 * expression compiles, walking it gives exactly what the evaluator gives, on every resource of the
 * Synthea sample patients (every type they hold) and the guide's examples.
 */
describe('every compiled SearchParameter agrees with the evaluator on real data', () => {
  const resources: Resource[] = [];
  beforeAll(() => {
    getRegistry();
    for (const file of fs.readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).sort().slice(0, 4)) {
      const bundle = JSON.parse(fs.readFileSync(path.join(SYNTHEA, file), 'utf8')) as { entry: { resource: Resource }[] };
      resources.push(...bundle.entry.map((e) => e.resource));
    }
  });

  it('on each resource type the sample holds', () => {
    const registry = getRegistry();
    let compiled = 0;
    let compared = 0;
    const types = new Set<string>();
    for (const resource of resources) {
      types.add(resource.resourceType);
      for (const param of registry.searchParameters(resource.resourceType)) {
        const expression = expressionFor(resource.resourceType, param);
        if (!expression) continue;
        const simple = compileSimplePath(resource.resourceType, expression);
        if (!simple) continue;
        compiled++;
        const walkedValues = evalSimplePath(simple, resource);
        if (!walkedValues) continue;
        const expected = evalFhirPathTyped(expression, [toTypedValue(resource)]).map(({ type, value }) => ({ type, value }));
        expect({ param: `${resource.resourceType}.${param.code}`, values: walkedValues }).toEqual({ param: `${resource.resourceType}.${param.code}`, values: expected });
        compared++;
      }
    }
    expect(types.size).toBeGreaterThanOrEqual(12);
    expect(compared).toBeGreaterThan(5000);
    expect(compared).toBeGreaterThan(compiled * 0.95);
  });
});

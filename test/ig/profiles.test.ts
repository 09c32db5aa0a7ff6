import { loadImplementationGuide } from '../../src/definitions/ig';
import { getRegistry } from '../../src/definitions/registry';
import type { Resource } from '../../src/fhir/types';
import { validate } from '../../src/validation/validate';

/** Every example of the implementation guide validates; the mutations a tester makes fail at the right element. */
const registry = getRegistry();
const ig = loadImplementationGuide();
registry.profiles.add(ig.structureDefinitions);
const BASE = 'http://insured.example.org/fhir/StructureDefinition';

function errors(resource: Resource): { text: string; path: string }[] {
  const url = resource.meta?.profile?.[0];
  return validate(resource, url ? registry.profiles.get(url) : undefined)
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ text: i.details?.text ?? i.diagnostics ?? '', path: i.expression?.[0] ?? '' }));
}

const example = (id: string): any => structuredClone(ig.examples.find((e) => e.id === id));
const ext = (r: any, name: string) => r.extension.find((e: any) => e.url === `${BASE}/${name}`);

describe('the implementation guide', () => {
  it('has a profile for each insured-person concept and one example each', () => {
    const profiles = ig.structureDefinitions.filter((sd) => sd.type !== 'Extension').map((sd) => sd.id).sort();
    expect(profiles).toEqual(
      ['account-transaction', 'consumable-use', 'contribution', 'credit-record', 'device-observation', 'family-relationship', 'insured-claim', 'insured-coverage', 'insured-encounter', 'insured-medication-dispense', 'insured-patient', 'personal-account', 'settlement'].sort()
    );
    for (const p of profiles) expect(ig.examples.filter((e) => e.meta?.profile?.[0] === `${BASE}/${p}`)).toHaveLength(1);
  });

  it.each(ig.examples.map((e) => [`${e.resourceType}/${e.id}`, e] as const))('example %s validates with no errors', (_name, e) => {
    expect(errors(e)).toEqual([]);
  });
});

describe.each([
  ['insured-patient', 'example-insured-patient', (r: any) => (r.identifier = r.identifier.filter((i: any) => !i.system.endsWith('medical-insurance-number'))), /medicalInsuranceNumber|insured-1|medical insurance number/, 'Patient'],
  ['insured-patient (missing birthDate)', 'example-insured-patient', (r: any) => delete r.birthDate, /birthDate|Missing required/, 'Patient.birthDate'],
  ['insured-encounter (missing period)', 'example-encounter', (r: any) => delete r.period, /Missing required/, 'Encounter.period'],
  ['device-observation (missing device)', 'example-device-observation', (r: any) => delete r.device, /Missing required/, 'Observation.device'],
  ['settlement (a fund split missing)', 'example-settlement', (r: any) => r.total.pop(), /settlement-1|expected 3|at least/, 'ExplanationOfBenefit'],
  ['family-relationship (cardinality: no relationship)', 'example-family-relationship', (r: any) => delete r.relationship, /Missing required|relationship/, 'RelatedPerson.relationship'],
  ['contribution (wrong code in a required binding)', 'example-contribution', (r: any) => (ext(r, 'contribution-status').valueCode = 'forgiven'), /contribution-2/, 'Basic'],
  ['contribution (wrong type in an extension)', 'example-contribution', (r: any) => (ext(r, 'amount').valueString = delete ext(r, 'amount').valueMoney && '560 CNY'), /contribution-1|value/, 'Basic'],
  ['contribution (cardinality exceeded)', 'example-contribution', (r: any) => r.extension.push(structuredClone(ext(r, 'amount'))), /amount.*expected 1\.\.1|Incorrect number/, 'Basic.extension'],
  ['contribution (unknown extension on a closed slice)', 'example-contribution', (r: any) => r.extension.push({ url: 'http://example.org/unknown', valueString: 'x' }), /contribution-3/, 'Basic'],
  ['credit-record (wrong rating code)', 'example-credit-record', (r: any) => (ext(r, 'credit-rating').valueCode = 'Z'), /credit-1/, 'Basic'],
  ['account-transaction (missing subject)', 'example-account-transaction', (r: any) => delete r.subject, /Missing required/, 'Basic.subject'],
])('%s', (_name, exampleId, mutate, message, path) => {
  it('fails with an error at the element', () => {
    const r = example(exampleId as string);
    (mutate as (r: any) => void)(r);
    const found = errors(r);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((e) => (message as RegExp).test(e.text) && e.path.startsWith(path as string))).toBe(true);
  });
});

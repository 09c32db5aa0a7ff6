import { loadImplementationGuide } from '../../src/definitions/ig';
import { getRegistry } from '../../src/definitions/registry';
import type { Resource, StructureDefinition } from '../../src/fhir/types';
import { addTerminology } from '../../src/search/terminology';
import { validate } from '../../src/validation/validate';

/** Every example of the implementation guide validates; the mutations a tester makes fail at the right element. */
const registry = getRegistry();
const ig = loadImplementationGuide();
registry.profiles.add(ig.structureDefinitions);
addTerminology([...ig.valueSets, ...ig.codeSystems]);
const BASE = 'http://insured.example.org/fhir/StructureDefinition';

function errors(resource: Resource): { text: string; path: string }[] {
  const url = resource.meta?.profile?.[0];
  return validate(resource, url ? registry.profiles.get(url) : undefined)
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ text: i.details?.text ?? i.diagnostics ?? '', path: i.expression?.[0] ?? '' }));
}

const example = (id: string): any => structuredClone(ig.examples.find((e) => e.id === id));
const ext = (r: any, name: string) => r.extension.find((e: any) => e.url === `${BASE}/${name}`);
/** Replaces an extension's value[x] with a value of another type. */
const retype = (e: any, type: string, value: unknown) => {
  for (const k of Object.keys(e)) if (k.startsWith('value')) delete e[k];
  e[`value${type}`] = value;
};
const profile = (id: string) => ig.structureDefinitions.find((sd) => sd.id === id) as StructureDefinition;

const PROFILES = ['account-transaction', 'consumable-use', 'contribution', 'credit-record', 'device-observation', 'family-relationship', 'insured-claim', 'insured-coverage', 'insured-encounter', 'insured-medication-dispense', 'insured-patient', 'personal-account', 'settlement'] as const;

describe('the implementation guide', () => {
  it('has a profile for each insured-person concept and one example each', () => {
    const profiles = ig.structureDefinitions.filter((sd) => sd.type !== 'Extension').map((sd) => sd.id).sort();
    expect(profiles).toEqual([...PROFILES]);
    for (const p of profiles) expect(ig.examples.filter((e) => e.meta?.profile?.[0] === `${BASE}/${p}`)).toHaveLength(1);
  });

  it.each(ig.examples.map((e) => [`${e.resourceType}/${e.id}`, e] as const))('example %s validates with no errors', (_name, e) => {
    expect(errors(e)).toEqual([]);
  });
});

/**
 * The mutations a tester makes, for every profile: each either fails with the expected error at the
 * expected element, or cannot apply to the profile, for a reason the test checks against the profile.
 */
type Kind = 'missing mandatory element' | 'wrong code in a required binding' | 'wrong type in an extension' | 'cardinality exceeded' | 'unknown extension on a closed slice';
interface Mutation {
  mutate: (r: any) => void;
  message: RegExp;
  path: string;
}
interface NotApplicable {
  notApplicable: string;
  holds: (sd: StructureDefinition, example: any) => void;
}
type Matrix = Record<(typeof PROFILES)[number], { example: string } & Record<Kind, Mutation | NotApplicable>>;

const MISSING = /^Missing required property$/;
const SINGLE = /^Expected single value for property$/;
const notInValueSet = (vs: string) => new RegExp(`is not in the required ValueSet ${vs.replace(/[.]/g, '\\.')}$`);
const HL7_VS = 'http://hl7.org/fhir/ValueSet';
const IG_VS = 'http://insured.example.org/fhir/ValueSet';
const UNKNOWN = { url: 'http://example.org/fhir/StructureDefinition/unknown', valueString: 'x' };

const missing = (path: string): Mutation => ({ mutate: (r) => delete r[last(path)], message: MISSING, path });
const badCode = (path: string, code: string, valueSet: string): Mutation => ({ mutate: (r) => (r[last(path)] = code), message: notInValueSet(valueSet), path });
/** A single-valued element sent as an array of two: how max 1 is exceeded in JSON. */
const twice = (path: string): Mutation => ({ mutate: (r) => (r[last(path)] = [r[last(path)], structuredClone(r[last(path)])]), message: SINGLE, path });
const sliceCount = (slice: string, found: number) => new RegExp(`^Incorrect number of values provided for slice '${slice}': expected 1\\.\\.1, but found ${found}$`);
const unknownExtension = (at: number): Mutation => ({
  mutate: (r) => r.extension.splice(at, 0, UNKNOWN),
  message: /^Extension "http:\/\/example\.org\/fhir\/StructureDefinition\/unknown" matches no slice of Basic\.extension, whose slicing is closed/,
  path: `Basic.extension[${at}]`,
});
/** Mutations of one of this guide's extensions on a Basic record, found by its URL and at its index in the example. */
const extensionCode = (url: string, at: number, code: string, valueSet: string): Mutation => ({
  mutate: (r) => (ext(r, url).valueCode = code),
  message: notInValueSet(`${IG_VS}/${valueSet}`),
  path: `Basic.extension[${at}].valueCode`,
});
const extensionType = (url: string, slice: string, at: number, [type, value]: [string, unknown], expected: string): Mutation => ({
  mutate: (r) => retype(ext(r, url), type, value),
  message: new RegExp(`^Wrong type for slice '${slice}': value\\[x\\] must be ${expected}, found value${type}$`),
  path: `Basic.extension[${at}].value${type}`,
});
const extensionTwice = (url: string, slice: string): Mutation => ({ mutate: (r) => r.extension.push(structuredClone(ext(r, url))), message: sliceCount(slice, 2), path: 'Basic.extension' });
const last = (path: string) => path.split('.').pop() as string;

/** The profile defines no extension: none in its differential, so no extension type to get wrong. */
const noExtensions: NotApplicable = {
  notApplicable: 'the profile defines no extension of its own, so there is no extension type to get wrong',
  holds: (sd) => expect(sd.differential?.element.filter((e) => /extension/i.test(e.id ?? '') || e.type?.some((t) => t.code === 'Extension')).map((e) => e.id)).toEqual([]),
};
/**
 * No slicing of the profile is closed: the base resource's extensions stay open so that a resource can
 * carry other guides' extensions too (closing them is for this guide's own Basic records only).
 */
const openSlicing: NotApplicable = {
  notApplicable: 'no slicing of the profile is closed; extensions on this shared base resource stay open for other guides',
  holds: (sd, e) => {
    expect(sd.snapshot?.element.filter((el) => el.slicing?.rules === 'closed').map((el) => el.id)).toEqual([]);
    e.extension = [...(e.extension ?? []), UNKNOWN];
    expect(errors(e)).toEqual([]);
  },
};

const matrix: Matrix = {
  'insured-patient': {
    example: 'example-insured-patient',
    'missing mandatory element': missing('Patient.birthDate'),
    'wrong code in a required binding': badCode('Patient.gender', 'woman', `${HL7_VS}/administrative-gender`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': {
      mutate: (r) => r.identifier.push({ system: 'http://insured.example.org/fhir/sid/medical-insurance-number', value: 'MI-110101-0002' }),
      message: sliceCount('medicalInsuranceNumber', 2),
      path: 'Patient.identifier',
    },
    'unknown extension on a closed slice': openSlicing,
  },
  'insured-coverage': {
    example: 'example-coverage',
    'missing mandatory element': missing('Coverage.period'),
    'wrong code in a required binding': badCode('Coverage.status', 'expired', `${HL7_VS}/fm-status`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('Coverage.period'),
    'unknown extension on a closed slice': openSlicing,
  },
  'personal-account': {
    example: 'example-account',
    'missing mandatory element': missing('Account.subject'),
    'wrong code in a required binding': badCode('Account.status', 'open', `${HL7_VS}/account-status`),
    'wrong type in an extension': noExtensions,
    // Account.subject is 0..* in the base, 1..1 in the profile
    'cardinality exceeded': { mutate: (r) => r.subject.push({ reference: 'Patient/other' }), message: /^Invalid number of values: expected 1\.\.1, but found 2$/, path: 'Account.subject' },
    'unknown extension on a closed slice': openSlicing,
  },
  'insured-encounter': {
    example: 'example-encounter',
    'missing mandatory element': missing('Encounter.period'),
    'wrong code in a required binding': badCode('Encounter.status', 'discharged', `${HL7_VS}/encounter-status`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('Encounter.serviceProvider'),
    'unknown extension on a closed slice': openSlicing,
  },
  'insured-claim': {
    example: 'example-claim',
    'missing mandatory element': missing('Claim.total'),
    'wrong code in a required binding': badCode('Claim.use', 'settlement', `${HL7_VS}/claim-use`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('Claim.total'),
    'unknown extension on a closed slice': openSlicing,
  },
  settlement: {
    example: 'example-settlement',
    'missing mandatory element': missing('ExplanationOfBenefit.total'),
    // the profile's own binding, on a CodeableConcept
    'wrong code in a required binding': {
      mutate: (r) => (r.total[1].category.coding[0].code = 'family-account'),
      message: notInValueSet(`${IG_VS}/insurance-fund`),
      path: 'ExplanationOfBenefit.total[1].category',
    },
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('ExplanationOfBenefit.patient'),
    'unknown extension on a closed slice': openSlicing,
  },
  'insured-medication-dispense': {
    example: 'example-dispense',
    'missing mandatory element': missing('MedicationDispense.whenHandedOver'),
    'wrong code in a required binding': badCode('MedicationDispense.status', 'dispensed', `${HL7_VS}/medicationdispense-status`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('MedicationDispense.quantity'),
    'unknown extension on a closed slice': openSlicing,
  },
  'consumable-use': {
    example: 'example-consumable',
    'missing mandatory element': missing('ChargeItem.quantity'),
    'wrong code in a required binding': badCode('ChargeItem.status', 'charged', `${HL7_VS}/chargeitem-status`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('ChargeItem.subject'),
    'unknown extension on a closed slice': openSlicing,
  },
  'device-observation': {
    example: 'example-device-observation',
    'missing mandatory element': missing('Observation.device'),
    'wrong code in a required binding': badCode('Observation.status', 'done', `${HL7_VS}/observation-status`),
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('Observation.device'),
    'unknown extension on a closed slice': openSlicing,
  },
  'family-relationship': {
    example: 'example-family-relationship',
    'missing mandatory element': missing('RelatedPerson.relationship'),
    // the profile's own binding, on a CodeableConcept: a friend is not family
    'wrong code in a required binding': {
      mutate: (r) => (r.relationship[0].coding[0].code = 'FRND'),
      message: notInValueSet(`${IG_VS}/family-relationship`),
      path: 'RelatedPerson.relationship[0]',
    },
    'wrong type in an extension': noExtensions,
    'cardinality exceeded': twice('RelatedPerson.patient'),
    'unknown extension on a closed slice': openSlicing,
  },
  contribution: {
    example: 'example-contribution',
    'missing mandatory element': { mutate: (r) => r.extension.splice(4, 1), message: sliceCount('amount', 0), path: 'Basic.extension' },
    'wrong code in a required binding': extensionCode('contribution-status', 2, 'forgiven', 'contribution-status'),
    'wrong type in an extension': extensionType('amount', 'amount', 4, ['String', '560 CNY'], 'Money'),
    'cardinality exceeded': extensionTwice('amount', 'amount'),
    'unknown extension on a closed slice': unknownExtension(7),
  },
  'credit-record': {
    example: 'example-credit-record',
    'missing mandatory element': missing('Basic.created'),
    'wrong code in a required binding': extensionCode('credit-rating', 1, 'Z', 'credit-rating'),
    'wrong type in an extension': extensionType('record-date', 'date', 3, ['Date', '2026-03-31'], 'dateTime'),
    'cardinality exceeded': extensionTwice('credit-rating', 'rating'),
    'unknown extension on a closed slice': unknownExtension(0),
  },
  'account-transaction': {
    example: 'example-account-transaction',
    'missing mandatory element': missing('Basic.subject'),
    'wrong code in a required binding': extensionCode('transaction-type', 0, 'refund', 'account-transaction-type'),
    'wrong type in an extension': extensionType('transaction-account', 'account', 3, ['String', 'Account/example-account'], 'Reference'),
    'cardinality exceeded': extensionTwice('balance-after', 'balanceAfter'),
    'unknown extension on a closed slice': unknownExtension(5),
  },
};

const cases = Object.entries(matrix).flatMap(([id, { example: exampleId, ...kinds }]) => Object.entries(kinds).map(([kind, c]) => [id, kind, exampleId, c] as const));

describe.each(cases)('%s, %s', (id, _kind, exampleId, c) => {
  if ('notApplicable' in c) {
    it(`does not apply: ${c.notApplicable}`, () => c.holds(profile(id), example(exampleId)));
    return;
  }
  it('fails with an error at the element', () => {
    const r = example(exampleId);
    c.mutate(r);
    const found = errors(r);
    expect(found.filter((e) => e.path === c.path && c.message.test(e.text))).toHaveLength(1);
  });
});

describe('other mutations', () => {
  it.each([
    ['insured-patient: the medical insurance number missing', 'example-insured-patient', (r: any) => r.identifier.shift(), sliceCount('medicalInsuranceNumber', 0), 'Patient.identifier'],
    ['settlement: a fund split missing', 'example-settlement', (r: any) => r.total.pop(), /^Invalid number of values: expected 3\.\.\*, but found 2$/, 'ExplanationOfBenefit.total'],
    ['personal-account: status other than active', 'example-account', (r: any) => (r.status = 'inactive'), /^Value did not match expected pattern$/, 'Account.status'],
    ['contribution: the record code changed', 'example-contribution', (r: any) => (r.code.coding[0].code = 'credit-record'), /^Value did not match expected pattern$/, 'Basic.code'],
  ])('%s', (_name, exampleId, mutate, message, path) => {
    const r = example(exampleId);
    mutate(r);
    expect(errors(r).some((e) => message.test(e.text) && e.path === path)).toBe(true);
  });
});

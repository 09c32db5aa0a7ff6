import type { TypedValueWithPath } from '@medplum/core';
import { loadImplementationGuide } from '../definitions/ig';
import { getRegistry } from '../definitions/registry';
import type { Resource, StructureDefinition } from '../fhir/types';
import { checkSlicing } from './slicing';

const ig = loadImplementationGuide();
beforeAll(() => getRegistry().profiles.add(ig.structureDefinitions));

const sd = (id: string) => ig.structureDefinitions.find((s) => s.id === id) as StructureDefinition;
const BASE = 'http://insured.example.org/fhir/StructureDefinition';
const record = (...extension: unknown[]) => ({ resourceType: 'Basic', code: { text: 'x' }, extension }) as unknown as Resource;

describe('slicing the validator leaves out', () => {
  it('refuses a value matching no slice of a closed slicing, at the value', () => {
    const issues = checkSlicing(record({ url: `${BASE}/amount`, valueMoney: { value: 1 } }, { url: 'http://x.org/y', valueString: 'z' }), sd('contribution'), {});
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', code: 'structure', expression: ['Basic.extension[1]'] })]);
    expect(issues[0].details?.text).toMatch(/^Extension "http:\/\/x\.org\/y" matches no slice of Basic\.extension, whose slicing is closed \(slices: payer, fund, /);
  });

  it('lets values outside an open slicing through', () => {
    const patient = { resourceType: 'Patient', identifier: [{ system: 'http://other.org/id', value: '1' }] } as Resource;
    expect(checkSlicing(patient, sd('insured-patient'), {})).toEqual([]);
  });

  it("checks an extension slice's value[x] type and hands its bound values to the binding check", () => {
    const bound: Record<string, TypedValueWithPath[]> = {};
    const issues = checkSlicing(record({ url: `${BASE}/amount`, valueDecimal: 1 }, { url: `${BASE}/contribution-status`, valueCode: 'owed' }), sd('contribution'), bound);
    expect(issues).toEqual([expect.objectContaining({ code: 'value', expression: ['Basic.extension[0].valueDecimal'], details: { text: "Wrong type for slice 'amount': value[x] must be Money, found valueDecimal" } })]);
    expect(bound).toEqual({ 'http://insured.example.org/fhir/ValueSet/contribution-status': [{ type: 'code', value: 'owed', path: 'Basic.extension[1].valueCode' }] });
  });
});

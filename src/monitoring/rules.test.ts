import { loadImplementationGuide } from '../definitions/ig';
import type { Observation, ObservationDefinition } from '../fhir/types';
import { judge, RuleSet, rulesOf, valueInRuleUnit } from './rules';

// the guide's own rules (profiles/examples), not copies of their numbers
const guide = loadImplementationGuide().examples.filter((r): r is ObservationDefinition => r.resourceType === 'ObservationDefinition');
const rule = (id: string) => {
  const def = guide.find((d) => d.id === id);
  if (!def) throw new Error(`the guide has no ObservationDefinition ${id}`);
  return rulesOf(def)[0];
};

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const reading = (code: string, value: number, unit: string): Observation => ({
  resourceType: 'Observation',
  id: 'r',
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  valueQuantity: { value, unit, system: UCUM, code: unit },
});
const panel = (systolic: number, diastolic: number): Observation => ({
  resourceType: 'Observation',
  id: 'bp',
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
  ],
});

describe('the guide’s monitoring rules', () => {
  const label = (o: Observation) => (o.component ?? [o]).map((c) => `${c.code.coding?.[0].code} ${c.valueQuantity?.value} ${c.valueQuantity?.code}`).join(' / ');
  it.each(
    ([
    // rule, reading, triggers
    ['monitoring-systolic-critical', reading('8480-6', 180, 'mm[Hg]'), true],
    ['monitoring-systolic-critical', reading('8480-6', 179.9, 'mm[Hg]'), false],
    ['monitoring-systolic-critical', panel(181, 80), true],
    ['monitoring-systolic-critical', panel(179, 119), false],
    ['monitoring-diastolic-critical', reading('8462-4', 120, 'mm[Hg]'), true],
    ['monitoring-diastolic-critical', reading('8462-4', 119, 'mm[Hg]'), false],
    ['monitoring-diastolic-critical', panel(150, 125), true],
    ['monitoring-glucose-low', reading('15074-8', 3.8, 'mmol/L'), true],
    ['monitoring-glucose-low', reading('15074-8', 3.9, 'mmol/L'), false],
    ['monitoring-glucose-low', reading('2339-0', 65, 'mg/dL'), true],
    ['monitoring-glucose-low', reading('2339-0', 72, 'mg/dL'), false],
    ['monitoring-glucose-low', reading('2339-0', 0.65, 'g/L'), true],
    ['monitoring-spo2-low', reading('59408-5', 89, '%'), true],
    ['monitoring-spo2-low', reading('59408-5', 90, '%'), false],
    ['monitoring-spo2-low', reading('2708-6', 85, '%'), true],
    ['monitoring-heart-rate-high', reading('8867-4', 121, '/min'), true],
    ['monitoring-heart-rate-high', reading('8867-4', 120, '/min'), false],
    ['monitoring-heart-rate-high', reading('40443-4', 130, '{beats}/min'), true],
    ['monitoring-systolic-sustained', { ...reading('8480-6', 140, 'mm[Hg]'), device: { reference: 'Device/d' } }, true],
    ['monitoring-systolic-sustained', { ...reading('8480-6', 139, 'mm[Hg]'), device: { reference: 'Device/d' } }, false],
    // an office reading (no device) is not a home reading
    ['monitoring-systolic-sustained', reading('8480-6', 150, 'mm[Hg]'), false],
    ] as [string, Observation, boolean][]).map(([id, obs, triggers]) => [id, label(obs), triggers, obs] as const)
  )('%s on %s alerts: %s', (id, _label, triggers, obs) => {
    expect(!!judge(rule(id), obs)).toBe(triggers);
  });

  it('judges no reading of another code, in an unconvertible unit, or entered in error', () => {
    expect(judge(rule('monitoring-heart-rate-high'), reading('8310-5', 200, '/min'))).toBeUndefined();
    expect(judge(rule('monitoring-glucose-low'), reading('2339-0', 1, 'mg'))).toBeUndefined();
    expect(judge(rule('monitoring-systolic-critical'), { ...reading('8480-6', 200, 'mm[Hg]'), status: 'entered-in-error' })).toBeUndefined();
  });

  it('converts commensurable units and, through the customary unit, mg/dL to mmol/L', () => {
    expect(valueInRuleUnit(rule('monitoring-systolic-critical'), { value: 24, code: 'kPa', system: UCUM })).toBeCloseTo(180.01, 1);
    expect(valueInRuleUnit(rule('monitoring-glucose-low'), { value: 70.2624, code: 'mg/dL', system: UCUM })).toBe(3.9);
  });

  it('reads the sustained rule’s count and period', () => {
    expect(rule('monitoring-systolic-sustained').sustained).toEqual({ count: 3, periodMs: 7 * 86_400_000 });
  });

  it('finds the rules of a reading by code, and drops a definition’s rules when it goes', () => {
    const set = new RuleSet();
    for (const d of guide) set.put(d);
    expect(set.forResource(panel(120, 80)).map((r) => r.key).sort()).toEqual([
      'ObservationDefinition/monitoring-diastolic-critical',
      'ObservationDefinition/monitoring-systolic-critical',
      'ObservationDefinition/monitoring-systolic-sustained',
    ]);
    set.remove('monitoring-systolic-sustained');
    expect(set.forResource(reading('8480-6', 1, 'mm[Hg]')).map((r) => r.key)).toEqual(['ObservationDefinition/monitoring-systolic-critical']);
  });
});

import { createHash } from 'node:crypto';
import { familyBundle, generateFamily } from './generate';

const opts = { seed: 7, monitoringDays: 3, asOf: '2026-11-01T00:00:00Z' };
const hash = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');

describe('synthetic population generator', () => {
  it('is deterministic: the same seed gives the same bytes, another seed other data', () => {
    expect(hash([0, 1, 2].map((i) => generateFamily(i, opts)))).toBe(hash([0, 1, 2].map((i) => generateFamily(i, opts))));
    expect(hash(generateFamily(0, opts))).not.toBe(hash(generateFamily(0, { ...opts, seed: 8 })));
  });

  it('builds families whose every reference resolves inside the family or to a shared organization or practitioner', () => {
    for (let i = 0; i < 20; i++) {
      const family = generateFamily(i, opts);
      const ids = new Set(family.map((r) => `${r.resourceType}/${r.id}`));
      const refs = JSON.stringify(family).match(/"reference":"([^"]+)"/g)?.map((m) => m.slice(13, -1)) ?? [];
      expect(refs.filter((r) => !ids.has(r))).toEqual([]);
      const patients = family.filter((r) => r.resourceType === 'Patient');
      expect(patients.length).toBeGreaterThanOrEqual(2);
      expect(family.filter((r) => r.resourceType === 'RelatedPerson').length).toBeGreaterThanOrEqual(2);
      expect(family.filter((r) => r.resourceType === 'Basic').length).toBeGreaterThanOrEqual(patients.length * 12);
    }
  });

  it('gives wearers hourly heart rate and steps, and people with chronic conditions daily blood pressure and glucose', () => {
    const readings = (family: any[], device: string) => family.filter((r) => r.resourceType === 'Observation' && r.device.reference === `Device/${device}`);
    let wearers = 0;
    let chronic = 0;
    for (let i = 0; i < 60; i++) {
      const family = generateFamily(i, opts) as any[];
      for (const device of family.filter((r) => r.resourceType === 'Device')) {
        const own = readings(family, device.id);
        const codes = new Set(own.map((o) => o.code.coding[0].code));
        if (device.deviceName[0].name === 'Wearable') {
          wearers++;
          expect(own).toHaveLength(opts.monitoringDays * 24 * 2);
          expect(codes).toEqual(new Set(['8867-4', '55423-8']));
          expect(own.every((o) => Date.parse(o.effectivePeriod.end) - Date.parse(o.effectivePeriod.start) === 3600_000)).toBe(true);
        } else {
          chronic++;
          expect(own).toHaveLength(opts.monitoringDays * 2);
          expect(codes).toEqual(new Set(['8480-6', '15074-8']));
          const diabetes = family.filter((r) => r.resourceType === 'Condition' && r.subject.reference === device.patient.reference && r.code.coding[0].code === 'E11');
          const visits = family.filter((r) => r.resourceType === 'Encounter' && r.subject.reference === device.patient.reference);
          expect(diabetes.length).toBe(visits.length);
        }
      }
    }
    expect(wearers).toBeGreaterThan(3);
    expect(chronic).toBeGreaterThan(10);
  });

  it('writes a family as a transaction of PUTs with the resources ids', () => {
    const bundle = familyBundle(generateFamily(0, opts)) as any;
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry.every((e: any) => e.request.method === 'PUT' && e.request.url === `${e.resource.resourceType}/${e.resource.id}`)).toBe(true);
  });
});

describe('generated resources and the implementation guide', () => {
  it('every resource validates against the profiles it claims', () => {
    // loaded here rather than at the top: the definitions take a second to index
    const { getRegistry } = require('../definitions/registry') as typeof import('../definitions/registry');
    const { loadImplementationGuide } = require('../definitions/ig') as typeof import('../definitions/ig');
    const { validate } = require('../validation/validate') as typeof import('../validation/validate');
    const registry = getRegistry();
    registry.profiles.add(loadImplementationGuide().structureDefinitions);
    const problems: string[] = [];
    for (const r of [0, 1].flatMap((i) => generateFamily(i, opts))) {
      const sd = r.meta?.profile?.[0] ? registry.profiles.get(r.meta.profile[0]) : undefined;
      if (r.meta?.profile?.[0]) expect(sd).toBeDefined();
      for (const i of validate(r, sd).filter((x) => x.severity === 'error')) problems.push(`${r.resourceType}/${r.id}: ${i.details?.text} ${i.expression?.[0]}`);
    }
    expect(problems).toEqual([]);
  });
});

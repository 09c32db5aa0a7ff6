import { getAllDataTypes, OperationOutcomeError, validateResource, type TypedValueWithPath, type ValidatorOptions } from '@medplum/core';
import { generateFamily } from '../bench/generate';
import { loadImplementationGuide } from '../definitions/ig';
import { getRegistry } from '../definitions/registry';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '../fhir/types';
import { parsedProfile } from './parsed-profile';
import { runValidator } from './validate';

const ig = loadImplementationGuide();
beforeAll(() => getRegistry().profiles.add(ig.structureDefinitions));

/** The issues (thrown or returned) and the values collected under required bindings, as comparable JSON. */
function outcome(run: (o: ValidatorOptions) => OperationOutcomeIssue[]): { json: string; errors: number } {
  const tokens: Record<string, TypedValueWithPath[]> = {};
  let issues: OperationOutcomeIssue[];
  try {
    issues = run({ collect: { tokens } });
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = err.outcome.issue ?? [];
  }
  const collected = Object.entries(tokens).map(([url, values]) => [url, values.map((v) => [v.path, v.type, v.value])]);
  return { json: JSON.stringify([issues, collected]), errors: issues.filter((i) => i.severity === 'error').length };
}

/** Breakages of several kinds: unknown element, missing or made-up required code, wrong JSON type, extension value of the wrong type. */
const MUTATIONS: ((r: Record<string, unknown>) => void)[] = [
  (r) => (r.bogus = 1),
  (r) => delete r.status,
  (r) => (r.status = 'made-up'),
  (r) => (r.meta = { ...(r.meta as object), versionId: 5 }),
  (r) => (r.extension = [...((r.extension as unknown[]) ?? []), { url: 'http://example.org/x', valueString: 1 }]),
];

describe('validation against a profile parsed once', () => {
  it("gives exactly @medplum/core's issues and collected binding values for validateResource(resource, { profile })", () => {
    const originals = [...ig.examples, ...[0, 1].flatMap((i) => generateFamily(i, { seed: 3, monitoringDays: 2, asOf: '2026-11-01T00:00:00Z' }))];
    let compared = 0;
    let failing = 0;
    originals.forEach((original, i) => {
      const mutated = structuredClone(original) as unknown as Record<string, unknown>;
      MUTATIONS[i % MUTATIONS.length](mutated);
      for (const resource of [original, mutated as unknown as Resource]) {
        for (const url of resource.meta?.profile ?? []) {
          const profile = getRegistry().profiles.get(url) as StructureDefinition;
          expect(profile).toBeDefined();
          const expected = outcome((o) => validateResource(resource, { ...o, profile }));
          expect(outcome((o) => runValidator(resource, profile, o)).json).toBe(expected.json);
          compared++;
          if (expected.errors > 0) failing++;
        }
      }
    });
    // both valid and broken resources were compared, over every profile of the guide
    expect(compared).toBeGreaterThan(300);
    expect(failing).toBeGreaterThan(100);
    expect(compared - failing).toBeGreaterThan(100);
    const claimed = new Set(originals.flatMap((r) => r.meta?.profile ?? []));
    expect(ig.structureDefinitions.filter((sd) => sd.type !== 'Extension' && !claimed.has(sd.url as string)).map((sd) => sd.url)).toEqual([]);
  });

  it('leaves no trace in the shared data-type map, also when the resource is refused', () => {
    const before = Object.keys(getAllDataTypes()).length;
    const patient = ig.examples.find((r) => r.resourceType === 'Patient') as Resource;
    const profile = getRegistry().profiles.get(patient.meta?.profile?.[0] as string) as StructureDefinition;
    expect(() => runValidator({ ...patient, bogus: 1 } as unknown as Resource, profile, {})).toThrow(OperationOutcomeError);
    expect(runValidator(patient, profile, {}).filter((i) => i.severity === 'error')).toEqual([]);
    expect(Object.keys(getAllDataTypes()).length).toBe(before);
    expect(Object.keys(getAllDataTypes()).filter((k) => k.includes('parsed profile'))).toEqual([]);
  });

  it('parses a StructureDefinition once, and another object with the same URL on its own', () => {
    const sd = ig.structureDefinitions[0];
    expect(parsedProfile(sd)).toBe(parsedProfile(sd));
    const copy = structuredClone(sd);
    expect(parsedProfile(copy)).not.toBe(parsedProfile(sd));
    expect(parsedProfile(copy)).toEqual(parsedProfile(sd));
  });
});

import { loadConfig } from '../config';
import { getRegistry } from '../definitions/registry';
import { buildCapabilityStatement } from '../fhir/interactions/capabilities';
import { OperationRegistry } from '../operations/registry';
import { compositeSecondType } from './extract';
import { parseSearch } from './parse';

/** A valid search value for each parameter type (composites by their second component). */
function sampleValue(type: string, second?: string): string {
  const simple: Record<string, string> = { string: 'x', token: 'x', reference: 'x', date: '2020', number: '1', quantity: '1', uri: 'http://x', composite: '' };
  if (type === 'composite') return `x$${simple[second ?? 'token']}`;
  return simple[type];
}

describe('the CapabilityStatement lists exactly the search parameters that work', () => {
  const registry = getRegistry();
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const statement = buildCapabilityStatement({ registry, baseUrl: config.baseUrl }, new OperationRegistry(), {}, { name: 't', version: '0' });
  const resources = statement.rest?.[0].resource ?? [];

  it('every listed parameter of every type parses under strict handling', () => {
    let checked = 0;
    for (const r of resources) {
      for (const sp of r.searchParam ?? []) {
        const param = registry.searchParameter(r.type, sp.name);
        const value = sp.name === '_id' ? 'x' : sampleValue(sp.type, param && compositeSecondType(registry, r.type, param));
        expect(() =>
          parseSearch(registry, [r.type], [[sp.name, value]], config, { handling: 'strict', baseUrl: config.baseUrl, now: Date.now() })
        ).not.toThrow();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it('lists the common parameters, composites and leaves out those without an expression', () => {
    const patient = resources.find((r) => r.type === 'Patient')?.searchParam?.map((p) => p.name) ?? [];
    expect(patient).toEqual(expect.arrayContaining(['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source', 'birthdate', 'family', 'identifier']));
    expect(patient).not.toContain('_text');
    expect(patient).not.toContain('_content');
    const observation = resources.find((r) => r.type === 'Observation')?.searchParam?.map((p) => p.name) ?? [];
    expect(observation).toEqual(expect.arrayContaining(['code-value-quantity', 'component-code-value-quantity', 'value-quantity', 'combo-code']));
  });
});

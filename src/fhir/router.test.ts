import { getRegistry } from '../definitions/registry';
import type { FhirRequest } from './context';
import { isFhirError } from './errors';
import { capabilityCodes } from './interactions/table';
import { resolveInteraction } from './router';

const registry = getRegistry();
const req = (method: FhirRequest['method'], path: string, query = ''): FhirRequest => ({
  method,
  path: path.split('/').filter(Boolean),
  query: [...new URLSearchParams(query)],
  headers: {},
});
const code = (method: FhirRequest['method'], path: string, query = '') => {
  const { row, params } = resolveInteraction(registry, req(method, path, query));
  return { code: row.code, level: row.level, action: row.action, ...params };
};
const failure = (method: FhirRequest['method'], path: string) => {
  try {
    resolveInteraction(registry, req(method, path));
  } catch (err) {
    if (isFhirError(err)) return `${err.status} ${err.errorCode}`;
    throw err;
  }
  throw new Error('resolved');
};

describe('the interaction table', () => {
  it.each([
    ['GET', '', 'search-system', 'system'],
    ['POST', '', 'transaction', 'system'],
    ['POST', '_search', 'search-system', 'system'],
    ['GET', 'metadata', 'capabilities', 'system'],
    ['GET', '_history', 'history-system', 'system'],
    ['POST', '$reindex', 'operation', 'system'],
    ['GET', 'Patient', 'search-type', 'type'],
    ['POST', 'Patient', 'create', 'type'],
    ['POST', 'Patient/_search', 'search-type', 'type'],
    ['GET', 'Patient/_history', 'history-type', 'type'],
    ['GET', 'Patient/$everything', 'operation', 'type'],
    ['GET', 'Patient/a', 'read', 'instance'],
    ['HEAD', 'Patient/a', 'read', 'instance'],
    ['PUT', 'Patient/a', 'update', 'instance'],
    ['PATCH', 'Patient/a', 'patch', 'instance'],
    ['DELETE', 'Patient/a', 'delete', 'instance'],
    ['GET', 'Patient/a/_history', 'history-instance', 'instance'],
    ['GET', 'Patient/a/_history/2', 'vread', 'instance'],
    ['GET', 'Patient/a/$everything', 'operation', 'instance'],
    ['GET', 'Patient/a/Observation', 'search-type', 'instance'],
  ] as const)('%s /%s is %s at %s level', (method, path, interaction, level) => {
    expect(code(method, path)).toMatchObject({ code: interaction, level });
  });

  it('gives the path parameters and the conditional criteria', () => {
    expect(code('GET', 'Observation/o1/_history/3')).toMatchObject({ type: 'Observation', id: 'o1', vid: '3', action: 'R' });
    expect(code('DELETE', 'Observation', 'code=x')).toMatchObject({ code: 'delete', level: 'type', criteria: 'code=x', action: 'D' });
    expect(code('GET', 'Patient/a/Encounter')).toMatchObject({ type: 'Patient', id: 'a', target: 'Encounter' });
  });

  it('answers unknown routes, types, methods and ids with their own errors', () => {
    expect(failure('GET', 'Nope')).toBe('404 FHIR-0404-TYPE');
    expect(failure('DELETE', 'Nope/1/_history')).toBe('404 FHIR-0404-TYPE');
    expect(failure('GET', 'Patient/a/b/c/d')).toBe('404 FHIR-0404-ROUTE');
    expect(failure('GET', 'Patient/a/nothing')).toBe('404 FHIR-0404-ROUTE');
    expect(failure('PUT', '')).toBe('405 FHIR-0405');
    expect(failure('POST', 'metadata')).toBe('405 FHIR-0405');
    expect(failure('GET', '_search')).toBe('405 FHIR-0405');
    expect(failure('POST', 'Patient/a/_history')).toBe('405 FHIR-0405');
    expect(failure('GET', 'Patient/a b')).toMatch(/^400 /);
  });

  it('lists each capability code once, from the same rows', () => {
    expect(capabilityCodes('resource').sort()).toEqual(['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread']);
    expect(capabilityCodes('system').sort()).toEqual(['batch', 'history-system', 'search-system', 'transaction']);
  });
});

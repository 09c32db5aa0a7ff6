import { parseResourceScope } from '../auth/scopes';
import { loadConfig } from '../config';
import { getRegistry } from '../definitions/registry';
import { patientCompartments } from '../fhir/compartments';
import type { Resource } from '../fhir/types';
import { extractIndexRows } from '../search/extract';
import { parseSearch } from '../search/parse';
import { compileGrant, type GrantInput } from './grant';

const registry = getRegistry();
const config = loadConfig({ LOG_LEVEL: 'silent' });
const parseQuery = (type: string, q: string) => parseSearch(registry, [type], [...new URLSearchParams(q)], config, { handling: 'strict', baseUrl: 'http://x/fhir', now: 0 }).where;
const grant = (scope: string, extra: Partial<GrantInput> = {}) =>
  compileGrant({ clientId: 'c', scopes: scope.split(' ').map((s) => parseResourceScope(s)!).filter(Boolean), otherScopes: [], userReach: [], ...extra }, registry, parseQuery);
const version = (r: Resource) => {
  const index = extractIndexRows(registry, r, 'http://x/fhir');
  return { resourceType: r.resourceType, id: r.id as string, index, compartments: patientCompartments(registry, r, index) };
};
const obs = (subject: string, extra: object = {}) => version({ resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, subject: { reference: subject }, ...extra } as Resource);

describe('compileGrant', () => {
  it('confines patient/ scopes to the launch patient, and voids them without one', () => {
    expect(grant('patient/*.rs', { patient: 'a' }).predicates('s', 'Observation')).toEqual([{ kind: 'compartment', compartments: ['Patient/a'] }]);
    const none = grant('patient/*.rs');
    expect(none.predicates('s', 'Observation')).toBeNull();
    expect(none.allows('r', 'Observation')).toBe(false);
  });

  it('ORs the confinements of mixed scopes and never widens them into no restriction', () => {
    const g = grant('patient/*.rs user/*.rs', { patient: 'a', fhirUser: 'Patient/c', userReach: ['c'] });
    expect(g.predicates('s', 'Observation')).toEqual([
      { kind: 'or', any: [{ kind: 'compartment', compartments: ['Patient/a'] }, { kind: 'compartment', compartments: ['Patient/c'] }] },
    ]);
  });

  it('gives user/ scopes the user reach; an administrator (reach all) and system/ scopes are unrestricted', () => {
    expect(grant('user/*.rs', { fhirUser: 'RelatedPerson/r', userReach: ['a', 'b'] }).predicates('r', 'Condition')).toEqual([
      { kind: 'compartment', compartments: ['Patient/a', 'Patient/b'] },
    ]);
    expect(grant('user/*.rs', { fhirUser: 'Practitioner/p', userReach: [] }).predicates('s', 'Condition')).toEqual([{ kind: 'compartment', compartments: [] }]);
    expect(grant('user/*.rs', { fhirUser: 'Practitioner/p', userReach: 'all' }).predicates('s', 'Condition')).toEqual([]);
    expect(grant('system/*.rs').predicates('r', 'Condition')).toEqual([]);
  });

  it("lets a confined user read their own fhirUser resource, but not write it", () => {
    const g = grant('user/*.cruds', { fhirUser: 'Practitioner/p', userReach: [] });
    expect(g.predicates('r', 'Practitioner')).toEqual([{ kind: 'or', any: [{ kind: 'compartment', compartments: [] }, { kind: 'id', ids: ['p'] }] }]);
    expect(g.mayWrite('u', version({ resourceType: 'Practitioner', id: 'p' } as Resource))).toBe(false);
  });

  it('keeps the audit trail out of `*` and grants it only by name', () => {
    expect(grant('system/*.cruds').allows('r', 'AuditEvent')).toBe(false);
    expect(grant('system/AuditEvent.rs').predicates('s', 'AuditEvent')).toEqual([]);
  });

  it('compiles granular queries; one that cannot be judged on the resource itself voids its scope', () => {
    const vital = grant('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', { patient: 'a' });
    expect(vital.predicates('s', 'Observation')).toEqual([
      { kind: 'and', all: [expect.objectContaining({ kind: 'token', code: 'category', value: 'vital-signs' }), { kind: 'compartment', compartments: ['Patient/a'] }] },
    ]);
    for (const q of ['focus:Patient.gender=male', 'subject.gender=male', '_has:Condition:subject:code=x', 'nonsense=1']) {
      expect(grant(`patient/Observation.rs?${q}`, { patient: 'a' }).predicates('s', 'Observation')).toBeNull();
    }
  });

  it('lets a confined grant write only what is about its patients', () => {
    const g = grant('patient/*.cruds', { patient: 'a' });
    expect(g.mayWrite('c', obs('Patient/a'))).toBe(true);
    expect(g.mayWrite('c', obs('Patient/b'))).toBe(false);
    // the caller as performer does not make another patient's record theirs
    expect(g.mayWrite('c', obs('Patient/b', { performer: [{ reference: 'Patient/a' }] }))).toBe(false);
    // nor may their own record reach into another patient's compartment
    expect(g.mayWrite('c', obs('Patient/a', { performer: [{ reference: 'Patient/b' }] }))).toBe(false);
    expect(g.mayWrite('c', obs('Group/g'))).toBe(false);
    expect(g.mayWrite('c', version({ resourceType: 'Organization', id: 'x' } as Resource))).toBe(false);
    expect(g.mayWrite('u', version({ resourceType: 'Patient', id: 'a' } as Resource))).toBe(true);
    expect(g.mayWrite('u', version({ resourceType: 'Patient', id: 'b' } as Resource))).toBe(false);
    expect(g.mayWrite('c', version({ resourceType: 'Coverage', id: 'c', status: 'active', beneficiary: { reference: 'Patient/a' }, payor: [{ reference: 'Organization/o' }] } as Resource))).toBe(true);
    expect(grant('system/*.cruds').mayWrite('c', obs('Patient/b'))).toBe(true);
  });

  it('holds the granular query on writes too', () => {
    const g = grant('patient/Observation.cu?category=vital-signs', { patient: 'a' });
    expect(g.mayWrite('c', obs('Patient/a', { category: [{ coding: [{ code: 'vital-signs' }] }] }))).toBe(true);
    expect(g.mayWrite('c', obs('Patient/a', { category: [{ coding: [{ code: 'laboratory' }] }] }))).toBe(false);
  });

  it('names privileges only by their own scope', () => {
    const other = (s: string) => compileGrant({ clientId: 'c', scopes: [parseResourceScope('system/*.cruds')!], otherScopes: s ? [s] : [], userReach: [] }, registry, parseQuery);
    expect(other('').has('reindex')).toBe(false);
    expect(other('system/$reindex').has('reindex')).toBe(true);
  });
});

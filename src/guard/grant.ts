import type { DefinitionRegistry } from '../definitions/registry';
import type { Interaction } from '../fhir/access';
import type { ResourceScope } from '../auth/scopes';
import type { Predicate } from '../search/plan';
import type { TokenGrants } from './from-token';
import { matchable, matches, type IndexedVersion } from './match';

/** Who is asking, for audit and logs. `system` names the server's own work when it runs under a system context. */
export interface AccessSubject {
  clientId?: string;
  user?: string;
  patient?: string;
  system?: string;
}

/**
 * A request's grant, compiled once into plan predicates (DESIGN.md decision 10): every read, search
 * and write of the guarded store asks it, so a read and a search under the same grant cannot disagree.
 */
export interface Grant {
  readonly subject: AccessSubject;
  /** Whether some scope names the interaction on the type at all (403 otherwise). */
  allows(i: Interaction, type: string): boolean;
  /** null: nothing of the type; []: all of it; otherwise predicates that must all hold. */
  predicates(i: Interaction, type: string): Predicate[] | null;
  /** Whether a version may be written (as new content) or replaced (as old content) under the interaction. */
  mayWrite(i: Interaction, version: IndexedVersion): boolean;
  /** A named privilege (`system/$reindex` grants `reindex`). */
  has(privilege: string): boolean;
  /**
   * What the verified token said (absent for system grants): durable work started by the request (an
   * export job, a Subscription) keeps it, to compile the same grant again when it resumes or delivers.
   */
  readonly token?: TokenGrants;
}

/** Patients a user may see, from what the user is (relations.ts); 'all' for administrators. */
export type UserReach = string[] | 'all';

export interface GrantInput {
  clientId: string;
  scopes: ResourceScope[];
  /** Scopes that are not resource scopes; `system/$name` names a privilege. */
  otherScopes: Iterable<string>;
  /** The launch context patient (SMART `patient`). */
  patient?: string;
  /** The user's FHIR resource, e.g. Practitioner/9. */
  fhirUser?: string;
  /** What user/ scopes reach (resolved from the user's relations). */
  userReach: UserReach;
}

/** Types only a scope that names them reaches: the audit trail is never covered by `*`. */
export const EXPLICIT_ONLY = new Set(['AuditEvent']);

/** The element that says whom a resource is about, preferred in this order among a type's compartment parameters. */
const DEFINING = ['patient', 'subject', 'beneficiary', 'member', 'individual', 'actor'];

interface CompiledScope {
  scope: ResourceScope;
  /** The patients the scope confines to; null: not confined. */
  patients: string[] | null;
}

type ParseQuery = (resourceType: string, query: string) => Predicate[];

/**
 * Compiles scopes into a grant. patient/ scopes confine to the launch patient (void without one);
 * user/ scopes to the user's reach; several confinements are OR-ed per scope, never widened into
 * "no restriction". A granular query that cannot be parsed, or needs other resources to be judged
 * (chains, `_has`), voids its scope: an odd scope never grants more.
 */
export function compileGrant(input: GrantInput, registry: DefinitionRegistry, parseQuery: ParseQuery): Grant {
  const compiled: CompiledScope[] = [];
  for (const scope of input.scopes) {
    if (scope.context === 'patient') {
      if (input.patient) compiled.push({ scope, patients: [input.patient] });
    } else if (scope.context === 'user') {
      compiled.push({ scope, patients: input.userReach === 'all' ? null : input.userReach });
    } else compiled.push({ scope, patients: null });
  }
  const privileges = new Set([...input.otherScopes].filter((s) => s.startsWith('system/$')).map((s) => s.slice('system/$'.length)));
  const [userType, userId] = input.fhirUser?.split('/') ?? [];
  // a Subscription is about whoever created it (subscriptions/owner.ts records that): a confined grant
  // reaches and writes only its own client's subscriptions, for its own launch patient
  const ownSubscriptions: Predicate = {
    kind: 'and',
    all: [
      { kind: 'token', code: 'owner-client', value: input.clientId },
      ...(input.patient ? [{ kind: 'token', code: 'owner-patient', value: input.patient } as Predicate] : []),
    ],
  };

  const queries = new Map<string, Predicate[] | null>();
  /** The scope's granular query for a type, parsed once; null when it voids the scope. */
  const queryOf = (s: ResourceScope, type: string): Predicate[] | null => {
    if (!s.query) return [];
    const key = `${type}?${s.query}`;
    let q = queries.get(key);
    if (q === undefined) {
      try {
        q = parseQuery(type, s.query);
        if (!q.every(matchable)) q = null;
      } catch {
        q = null;
      }
      queries.set(key, q);
    }
    return q;
  };
  const applicable = (i: Interaction, type: string) =>
    compiled.filter(
      ({ scope }) =>
        scope.permissions.has(i) && (scope.resourceType === type || (scope.resourceType === '*' && !EXPLICIT_ONLY.has(type))) && queryOf(scope, type) !== null
    );

  const cache = new Map<string, Predicate[] | null>();
  function predicates(i: Interaction, type: string): Predicate[] | null {
    const key = `${i}:${type}`;
    if (cache.has(key)) return cache.get(key) as Predicate[] | null;
    const scopes = applicable(i, type);
    let out: Predicate[] | null;
    if (!scopes.length) out = null;
    else if (scopes.some((s) => s.patients === null && !s.scope.query)) out = [];
    else {
      const any = scopes.map(({ scope, patients }): Predicate => {
        const all = [...(queryOf(scope, type) as Predicate[])];
        if (patients) all.push(type === 'Subscription' ? ownSubscriptions : confinement(patients, type, i, userType, userId));
        return all.length === 1 ? all[0] : { kind: 'and', all };
      });
      out = [any.length === 1 ? any[0] : { kind: 'or', any }];
    }
    cache.set(key, out);
    return out;
  }

  return {
    subject: { clientId: input.clientId, user: input.fhirUser, patient: input.patient ?? (userType === 'Patient' ? userId : undefined) },
    allows: (i, type) => applicable(i, type).length > 0,
    predicates,
    mayWrite(i, v) {
      return applicable(i, v.resourceType).some(
        ({ scope, patients }) =>
          (!patients || (v.resourceType === 'Subscription' ? matches([ownSubscriptions], v) : aboutOnly(registry, v, patients))) &&
          matches(queryOf(scope, v.resourceType) as Predicate[], v)
      );
    },
    has: (privilege) => privileges.has(privilege),
  };
}

/** The patients' compartments; for reads, also the user's own resource (a fhirUser must be readable). */
function confinement(patients: string[], type: string, i: Interaction, userType?: string, userId?: string): Predicate {
  const inCompartment: Predicate = { kind: 'compartment', compartments: patients.map((p) => `Patient/${p}`) };
  if (type !== userType || !userId || (i !== 'r' && i !== 's')) return inCompartment;
  return { kind: 'or', any: [inCompartment, { kind: 'id', ids: [userId] }] };
}

/**
 * Writes of a confined grant are about its patients only: the resource's patient-defining element
 * (Observation.subject, Coverage.beneficiary, ...; a Patient's own id) names only those patients, and
 * the version enters no other patient's compartment. Merely mentioning the patient (as a performer) is not enough.
 */
export function aboutOnly(registry: DefinitionRegistry, v: IndexedVersion, patients: string[]): boolean {
  const allowed = new Set(patients.map((p) => `Patient/${p}`));
  if (!v.compartments.every((c) => allowed.has(c))) return false;
  if (v.resourceType === 'Patient') return allowed.has(`Patient/${v.id}`);
  const code = definingParameter(registry, v.resourceType);
  if (!code) return false;
  const about = v.index.filter((r) => r.type === 'reference' && r.code === code && r.targetType === 'Patient');
  return about.length > 0 && about.every((r) => r.type === 'reference' && allowed.has(`Patient/${r.targetId}`));
}

export function definingParameter(registry: DefinitionRegistry, type: string): string | undefined {
  const params = registry.patientCompartmentParams(type);
  return DEFINING.find((c) => params.includes(c)) ?? params[0];
}

/** The grant of the server's own work: everything, under a name that audit and logs show. */
export function systemGrant(name: string): Grant {
  return {
    subject: { system: name },
    allows: () => true,
    predicates: () => [],
    mayWrite: () => true,
    has: () => true,
  };
}

/** The grant of a request whose credentials were refused: nothing at all. */
export const NO_GRANT: Grant = {
  subject: {},
  allows: () => false,
  predicates: () => null,
  mayWrite: () => false,
  has: () => false,
};

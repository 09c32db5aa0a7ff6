import type { DefinitionRegistry } from '../definitions/registry';
import type { Resource } from '../fhir/types';
import { extractIndexRows } from '../search/extract';
import type { Predicate } from '../search/plan';
import type { StoreReader, VersionRecord } from '../storage/port';
import type { UserReach } from './grant';

/** At most this many patients are resolved for one user (a care team, not a registry). */
export const MAX_REACH = 5000;

export interface ReachDeps {
  registry: DefinitionRegistry;
  /** The raw store: relations are looked up by the server itself, before any grant exists. */
  store: StoreReader;
  baseUrl: string;
}

/**
 * Whom a user's user/ scopes reach, by what the user is (README, "Who sees what"): a Patient their own
 * compartment; a RelatedPerson the patient it is active for; a Person the patients it links to
 * (directly or through a RelatedPerson); a Practitioner the patients they care for (an active CareTeam
 * that lists them, an Encounter they take part in, being the generalPractitioner); an administrator
 * everyone. Anyone else reaches no one.
 */
export async function userReach(deps: ReachDeps, fhirUser: string | undefined, administrator: boolean): Promise<UserReach> {
  if (administrator) return 'all';
  const [type, id] = fhirUser?.split('/') ?? [];
  if (!type || !id) return [];
  switch (type) {
    case 'Patient':
      return [id];
    case 'RelatedPerson':
      return relatedPersonPatients(deps, id);
    case 'Person':
      return personPatients(deps, id);
    case 'Practitioner':
      return practitionerPatients(deps, `Practitioner/${id}`);
    default:
      return [];
  }
}

async function relatedPersonPatients(deps: ReachDeps, id: string): Promise<string[]> {
  const current = await live(deps, 'RelatedPerson', id);
  if (!current || current.resource.active === false) return [];
  return patientRefs(deps, current.resource, ['patient']);
}

async function personPatients(deps: ReachDeps, id: string): Promise<string[]> {
  const current = await live(deps, 'Person', id);
  if (!current || current.resource.active === false) return [];
  const rows = extractIndexRows(deps.registry, current.resource, deps.baseUrl);
  const out = new Set<string>();
  for (const r of rows) {
    if (r.type !== 'reference' || r.code !== 'link' || !r.targetId) continue;
    if (r.targetType === 'Patient') out.add(r.targetId);
    if (r.targetType === 'RelatedPerson') for (const p of await relatedPersonPatients(deps, r.targetId)) out.add(p);
  }
  return [...out];
}

async function practitionerPatients(deps: ReachDeps, practitioner: string): Promise<string[]> {
  const out = new Set<string>();
  const teams = await find(deps, 'CareTeam', [
    { kind: 'reference', code: 'participant', reference: practitioner },
    { kind: 'token', code: 'status', value: 'active' },
  ]);
  for (const t of teams) for (const p of patientRefs(deps, t, ['patient', 'subject'])) out.add(p);
  for (const e of await find(deps, 'Encounter', [{ kind: 'reference', code: 'participant', reference: practitioner }])) {
    for (const p of patientRefs(deps, e, ['patient', 'subject'])) out.add(p);
  }
  for (const p of await find(deps, 'Patient', [{ kind: 'reference', code: 'general-practitioner', reference: practitioner }])) out.add(p.id as string);
  return [...out].slice(0, MAX_REACH);
}

async function live(deps: ReachDeps, type: string, id: string): Promise<{ record: VersionRecord; resource: Resource & { active?: boolean } } | undefined> {
  const record = await deps.store.readCurrent(type, id);
  if (!record || record.deleted || !record.json) return undefined;
  return { record, resource: JSON.parse(record.json) as Resource & { active?: boolean } };
}

async function find(deps: ReachDeps, type: string, where: Predicate[]): Promise<Resource[]> {
  const page = await deps.store.search({ resourceTypes: [type], where, count: MAX_REACH, total: 'none' });
  return page.records.map((r) => JSON.parse(r.json as string) as Resource);
}

function patientRefs(deps: ReachDeps, resource: Resource, codes: string[]): string[] {
  return extractIndexRows(deps.registry, resource, deps.baseUrl)
    .filter((r) => r.type === 'reference' && codes.includes(r.code) && r.targetType === 'Patient' && r.targetId)
    .map((r) => (r as { targetId: string }).targetId);
}

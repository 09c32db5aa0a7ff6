import { evalFhirPathTyped, matchesSearchRequest, parseSearchRequest, toTypedValue } from '@medplum/core';
import type { DefinitionRegistry } from '../definitions/registry';
import type { AccessGate, Interaction, SearchRestriction } from '../fhir/access';
import { FhirError } from '../fhir/errors';
import type { Resource } from '../fhir/types';
import type { ResourceScope } from './scopes';

/** What a valid access token grants: resolved once per request (DESIGN.md decision 5). */
export interface Grants {
  tokenId: string;
  clientId: string;
  scopes: ResourceScope[];
  /** The launch context patient (SMART `patient`), if any. */
  patient?: string;
  encounter?: string;
  /** The user's FHIR resource, e.g. Patient/123 or Practitioner/9. */
  fhirUser?: string;
}

/** Types only a scope that names them reaches: the audit trail is for administrators, never for `*`. */
const EXPLICIT_ONLY = new Set(['AuditEvent']);

function forbidden(message: string): FhirError {
  return new FhirError('forbidden', 'FHIR-0403-SCOPE', message, {
    headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
  });
}

/**
 * The access gate for a token's grants. patient/ scopes reach only the launch patient's compartment
 * (and are void without a launch patient); user/ scopes of a user who is a Patient reach only that
 * patient's compartment; granular scopes (`?category=...`) add their criteria.
 */
export function gateFor(grants: Grants, registry: DefinitionRegistry): AccessGate {
  const userPatient = grants.fhirUser?.startsWith('Patient/') ? grants.fhirUser.slice('Patient/'.length) : undefined;
  /** The patient a scope confines to, or null when it is not confined; undefined when the scope is void. */
  const confinedTo = (s: ResourceScope): string | null | undefined => {
    if (s.context === 'patient') return grants.patient ?? undefined;
    if (s.context === 'user' && userPatient) return userPatient;
    return null;
  };
  const applicable = (i: Interaction, type: string) =>
    grants.scopes.filter(
      (s) =>
        s.permissions.has(i) &&
        (s.resourceType === type || (s.resourceType === '*' && !EXPLICIT_ONLY.has(type))) &&
        confinedTo(s) !== undefined
    );

  return {
    requireInteraction(i, type) {
      if (!applicable(i, type).length) throw forbidden(`No granted scope allows ${interactionName(i)} on ${type}`);
    },
    checkResource(i, resource) {
      const ok = applicable(i, resource.resourceType).some((s) => {
        const patient = confinedTo(s);
        if (patient && !inPatientCompartment(registry, resource, patient)) return false;
        return !s.query || matchesSearchRequest(resource, parseSearchRequest(`${resource.resourceType}?${s.query}`));
      });
      if (!ok) throw forbidden(`The granted scopes do not cover this ${resource.resourceType}`);
    },
    searchRestriction(type, i): 'none' | SearchRestriction | undefined {
      const scopes = applicable(i, type);
      if (!scopes.length) return 'none';
      if (scopes.some((s) => confinedTo(s) === null && !s.query)) return undefined;
      const patients = new Set(scopes.map(confinedTo).filter((p): p is string => !!p));
      const restriction: SearchRestriction = {};
      if (patients.size === 1 && scopes.every((s) => confinedTo(s))) restriction.compartment = { resourceType: 'Patient', id: [...patients][0] };
      if (scopes.every((s) => s.query)) restriction.anyOf = scopes.map((s) => s.query as string);
      return restriction;
    },
    unrestricted: grants.scopes.some((s) => s.resourceType === '*' && s.permissions.has('r') && confinedTo(s) === null && !s.query),
    subject: { clientId: grants.clientId, user: grants.fhirUser, patient: grants.patient ?? userPatient },
  };
}

/** Whether a resource is in a Patient's compartment, by the CompartmentDefinition's parameters. */
export function inPatientCompartment(registry: DefinitionRegistry, resource: Resource, patientId: string): boolean {
  if (resource.resourceType === 'Patient') return resource.id === patientId;
  const target = `Patient/${patientId}`;
  const input = [toTypedValue(resource)];
  for (const code of registry.patientCompartmentParams(resource.resourceType)) {
    const param = registry.searchParameter(resource.resourceType, code);
    if (!param?.expression) continue;
    let values;
    try {
      values = evalFhirPathTyped(param.expression, input);
    } catch {
      continue;
    }
    for (const v of values) {
      const ref = typeof v.value === 'string' ? v.value : (v.value as { reference?: string } | undefined)?.reference;
      if (ref === target) return true;
    }
  }
  return false;
}

function interactionName(i: Interaction): string {
  return { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' }[i];
}

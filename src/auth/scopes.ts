import type { Interaction } from '../fhir/access';

/** One SMART scope on resources, v1 or v2, normalised to v2 permissions (SMART App Launch 2.x, scopes-and-launch-context). */
export interface ResourceScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type or '*'. */
  resourceType: string;
  permissions: Set<Interaction>;
  /** Granular v2 restriction, e.g. `category=http://...|vital-signs` (a FHIR search query string). */
  query?: string;
  /** The scope as given. */
  text: string;
}

const V1 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*)$/;
const V2 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(c?r?u?d?s?)(\?[^\s]+)?$/;

/**
 * Parses one scope. v1 `.read` maps to `rs`, `.write` to `cud`, `.*` to `cruds`. A v2 suffix must keep
 * the order c, r, u, d, s and name at least one letter; anything else is not a resource scope (and so
 * grants nothing: an odd suffix is never read as broader).
 */
export function parseResourceScope(text: string): ResourceScope | undefined {
  const v1 = V1.exec(text);
  if (v1) {
    const letters = v1[3] === 'read' ? 'rs' : v1[3] === 'write' ? 'cud' : 'cruds';
    return { context: v1[1] as ResourceScope['context'], resourceType: v1[2], permissions: new Set(letters as unknown as Interaction[]), text };
  }
  const v2 = V2.exec(text);
  if (!v2 || v2[3] === '') return undefined;
  return {
    context: v2[1] as ResourceScope['context'],
    resourceType: v2[2],
    permissions: new Set(v2[3].split('') as Interaction[]),
    ...(v2[4] ? { query: v2[4].slice(1) } : {}),
    text,
  };
}

/** Splits a scope string into resource scopes and the rest (openid, fhirUser, launch, offline_access...). */
export function parseScopes(scope: string): { resources: ResourceScope[]; other: Set<string> } {
  const resources: ResourceScope[] = [];
  const other = new Set<string>();
  for (const s of scope.split(/\s+/).filter(Boolean)) {
    const parsed = parseResourceScope(s);
    if (parsed) resources.push(parsed);
    else other.add(s);
  }
  return { resources, other };
}

/** The scopes of `requested` that `allowed` covers (a client may only receive what it is registered for). */
export function intersectScopes(requested: string, allowed: string): string {
  const allow = parseScopes(allowed);
  return requested
    .split(/\s+/)
    .filter(Boolean)
    .filter((s) => {
      const r = parseResourceScope(s);
      if (!r) return allow.other.has(s);
      return allow.resources.some(
        (a) =>
          a.context === r.context &&
          (a.resourceType === '*' || a.resourceType === r.resourceType) &&
          [...r.permissions].every((p) => a.permissions.has(p)) &&
          (!a.query || a.query === r.query)
      );
    })
    .join(' ');
}

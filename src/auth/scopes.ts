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

/**
 * The scopes of `requested` that `allowed` covers (a client may only receive what it is registered for).
 * A granular scope (`?query`) is covered only by the same scope registered with the same query: a broad
 * registration must not let a client pick criteria of its own, which could select by anything.
 */
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
          (r.query ? a.resourceType === r.resourceType : a.resourceType === '*' || a.resourceType === r.resourceType) &&
          [...r.permissions].every((p) => a.permissions.has(p)) &&
          a.query === r.query
      );
    })
    .join(' ');
}

/** The search result parameters that may restrict a granular scope (the rest shape results or join). */
const GRANULAR_SPECIAL = new Set(['_id', '_tag', '_security', '_profile', '_source', '_lastUpdated']);

/**
 * Why the granular scopes of a scope string are refused, or undefined. Their criteria must be plain
 * `name=value` pairs: no chains (`subject.name`), no `_has`, no modifiers (`code:not`), no result
 * parameters. Kept this simple so that what a scope selects is plain to read and to enforce.
 */
export function granularScopeProblem(scope: string): string | undefined {
  for (const r of parseScopes(scope).resources) {
    if (!r.query) continue;
    for (const part of r.query.split('&')) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const plain = /^[A-Za-z][A-Za-z0-9-]*$/.test(name) || GRANULAR_SPECIAL.has(name);
      if (!plain || eq < 0 || eq === part.length - 1) {
        return `The scope ${r.text} uses "${name}": granular scopes allow only plain name=value criteria (no chains, _has, modifiers or result parameters)`;
      }
    }
  }
  return undefined;
}

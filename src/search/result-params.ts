import type { Config } from '../config';
import type { DefinitionRegistry } from '../definitions/registry';
import { badSearch, show } from './errors';
import type { SortKey } from './plan';

/**
 * An `_include` or `_revinclude`: SourceType:code[:TargetType]; code `*` for every reference
 * parameter of the source type, and a bare `*` (source type `*`) for every reference of any resource.
 */
export interface IncludeSpec {
  sourceType: string;
  code: string;
  targetType?: string;
  iterate: boolean;
}

export type Summary = 'true' | 'text' | 'data' | 'count' | 'false';

export interface ResultParams {
  count: number;
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
  /** Whether the client asked for `_total` (otherwise the server chooses). */
  totalGiven: boolean;
  sort: SortKey[];
  summary?: Summary;
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
}

/** Parameters that steer the result rather than select resources. */
export const RESULT_PARAMS = new Set(['_count', '_cursor', '_total', '_summary', '_elements', '_sort', '_include', '_revinclude']);
/** Parameters that are not about search at all and never reported. */
export const IGNORED_PARAMS = new Set(['_format', '_pretty']);

/** Most _include/_revinclude parameters one search may carry. */
export const MAX_INCLUDES = 10;

/**
 * `_count` (search.html#count), the one parser of it for searches, histories and operations that
 * page: a whole number, capped at FHIR_MAX_COUNT; `min` 1 where an empty page means nothing.
 */
export function parseCount(value: string, config: Pick<Config, 'maxCount'>, min = 0): number {
  if (!/^\d{1,6}$/.test(value)) throw badSearch('COUNT', `_count must be a non-negative integer, got "${show(value)}"`);
  return Math.max(min, Math.min(Number(value), config.maxCount));
}

/** Applies one result parameter; returns the value to echo in `self`, or undefined to leave it out. */
export function applyResultParam(
  out: ResultParams,
  registry: DefinitionRegistry,
  types: string[],
  name: string,
  modifier: string | undefined,
  value: string,
  config: Pick<Config, 'maxCount'>
): string | undefined {
  if (modifier !== undefined && !((name === '_include' || name === '_revinclude') && modifier === 'iterate')) {
    throw badSearch('MODIFIER', `${name} takes no modifier :${show(modifier)}`);
  }
  switch (name) {
    case '_count':
      out.count = parseCount(value, config);
      return String(out.count);
    case '_cursor':
      out.cursor = value;
      return undefined;
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate') {
        throw badSearch('TOTAL', `_total must be none, estimate or accurate, got "${show(value)}"`);
      }
      out.total = value;
      out.totalGiven = true;
      return value;
    case '_summary':
      if (!['true', 'text', 'data', 'count', 'false'].includes(value)) {
        throw badSearch('SUMMARY', `_summary must be true, text, data, count or false, got "${show(value)}"`);
      }
      out.summary = value as Summary;
      return value;
    case '_elements': {
      const names = value.split(',').map((s) => s.trim()).filter(Boolean);
      if (names.length > 100 || names.some((n) => !/^([A-Z][A-Za-z]+\.)?[a-z][A-Za-z0-9]*(\[x\])?$/.test(n))) {
        throw badSearch('ELEMENTS', `_elements must list element names, got "${show(value)}"`);
      }
      out.elements = [...(out.elements ?? []), ...names.map((n) => n.replace(/^[A-Z][A-Za-z]+\./, ''))];
      return value;
    }
    case '_sort':
      out.sort.push(...parseSort(registry, types, value));
      return value;
    case '_include':
    case '_revinclude': {
      const list = name === '_include' ? out.include : out.revinclude;
      if (out.include.length + out.revinclude.length >= MAX_INCLUDES) throw badSearch('INCLUDE', `At most ${MAX_INCLUDES} _include/_revinclude parameters`);
      list.push(parseInclude(registry, name, value, modifier === 'iterate'));
      return value;
    }
    default:
      return undefined;
  }
}

function parseSort(registry: DefinitionRegistry, types: string[], value: string): SortKey[] {
  const keys = value.split(',').filter(Boolean);
  if (keys.length > 5) throw badSearch('SORT', '_sort takes at most 5 keys');
  return keys.map((k) => {
    const descending = k.startsWith('-');
    const code = descending ? k.slice(1) : k;
    const params = types.map((t) => registry.searchParameter(t, code));
    const first = params[0];
    if (!first || params.some((p) => !p || p.type !== first.type) || !first.expression || first.type === 'composite') {
      throw badSearch('SORT', `Cannot sort by "${show(code)}"`);
    }
    return { code, type: first.type as SortKey['type'], descending };
  });
}

function parseInclude(registry: DefinitionRegistry, name: string, value: string, iterate: boolean): IncludeSpec {
  // `*`: every reference parameter of whatever resource is at hand
  if (value === '*') {
    if (name === '_revinclude') throw badSearch('INCLUDE', '_revinclude needs SourceType:parameter');
    return { sourceType: '*', code: '*', iterate };
  }
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3 || !registry.isResourceType(parts[0])) {
    throw badSearch('INCLUDE', `${name} must be SourceType:parameter[:TargetType], got "${show(value)}"`);
  }
  const [sourceType, code, targetType] = parts;
  if (code !== '*') {
    const param = registry.searchParameter(sourceType, code);
    if (!param || param.type !== 'reference') throw badSearch('INCLUDE', `${sourceType} has no reference parameter "${show(code)}"`);
  }
  if (targetType !== undefined && !registry.isResourceType(targetType)) throw badSearch('INCLUDE', `Unknown target type "${show(targetType)}"`);
  return { sourceType, code, ...(targetType ? { targetType } : {}), iterate };
}

import type { Config } from '../config';
import type { DefinitionRegistry, SearchParamEntry } from '../definitions/registry';
import { FhirError } from '../fhir/errors';
import { assertValidId } from '../fhir/util';
import { foldString } from './normalize';
import type { Predicate } from './plan';

/** The SearchParameter types this parser turns into predicates. */
const SUPPORTED_TYPES = new Set(['string', 'token', 'reference', 'uri']);

/** Whether searches on this parameter are supported (what the CapabilityStatement lists). */
export function isSupportedParam(param: SearchParamEntry): boolean {
  return SUPPORTED_TYPES.has(param.type) && param.expression !== undefined;
}

/** Parameters that steer the result rather than select resources. */
const RESULT_PARAMS = new Set(['_count', '_cursor', '_total', '_format', '_pretty', '_summary', '_elements', '_sort']);

export interface ParsedSearch {
  where: Predicate[];
  count: number;
  cursor?: string;
  total: 'none' | 'accurate';
  /** The parameters applied, for the self link. */
  applied: [string, string][];
  /** Parameters ignored because unknown or unsupported (reported, or 400 under Prefer: handling=strict). */
  ignored: string[];
}

/**
 * Parses search parameters against the SearchParameter registry into plan predicates.
 * Values are data, never query syntax: each becomes a bound parameter in the adapter.
 */
export function parseSearch(
  registry: DefinitionRegistry,
  resourceType: string,
  query: [string, string][],
  config: Pick<Config, 'defaultCount' | 'maxCount'>,
  handling: 'strict' | 'lenient' = 'lenient'
): ParsedSearch {
  const out: ParsedSearch = { where: [], count: config.defaultCount, total: 'none', applied: [], ignored: [] };
  for (const [rawName, value] of query) {
    if (value === '') continue; // empty parameters are ignored (search.html#errors)
    const [name, modifier] = splitModifier(rawName);
    if (RESULT_PARAMS.has(name)) {
      applyResultParam(out, name, value, config);
      continue;
    }
    const predicate = parseParam(registry, resourceType, name, modifier, value);
    if (!predicate) {
      if (handling === 'strict') {
        throw new FhirError('invalid', 'FHIR-0400-PARAM', `Unknown or unsupported search parameter "${rawName}" for ${resourceType}`, {
          code: 'not-supported',
        });
      }
      out.ignored.push(rawName);
      continue;
    }
    out.where.push(predicate);
    out.applied.push([rawName, value]);
  }
  return out;
}

function splitModifier(raw: string): [string, string | undefined] {
  const i = raw.indexOf(':');
  return i < 0 ? [raw, undefined] : [raw.slice(0, i), raw.slice(i + 1)];
}

function applyResultParam(out: ParsedSearch, name: string, value: string, config: Pick<Config, 'maxCount'>): void {
  switch (name) {
    case '_count': {
      if (!/^\d{1,6}$/.test(value)) throw new FhirError('invalid', 'FHIR-0400-COUNT', `_count must be a non-negative integer, got "${value}"`);
      out.count = Math.min(Number(value), config.maxCount);
      out.applied.push([name, String(out.count)]);
      return;
    }
    case '_cursor':
      out.cursor = value;
      return;
    case '_total':
      if (!['none', 'estimate', 'accurate'].includes(value)) {
        throw new FhirError('invalid', 'FHIR-0400-TOTAL', `_total must be none, estimate or accurate, got "${value}"`);
      }
      out.total = value === 'none' ? 'none' : 'accurate';
      out.applied.push([name, value]);
      return;
    default:
      return;
  }
}

/** Splits on commas not escaped with a backslash (search.html#escaping), and unescapes. */
export function splitOr(value: string): string[] {
  return value.split(/(?<!\\),/).map((v) => v.replace(/\\([,|$\\])/g, '$1'));
}

/** Splits a token on the first unescaped '|'. */
function splitToken(value: string): [string | undefined, string] {
  const i = value.search(/(?<!\\)\|/);
  if (i < 0) return [undefined, value];
  return [value.slice(0, i), value.slice(i + 1)];
}

function parseParam(
  registry: DefinitionRegistry,
  resourceType: string,
  name: string,
  modifier: string | undefined,
  value: string
): Predicate | undefined {
  if (name === '_id' && !modifier) {
    const ids = splitOr(value);
    ids.forEach(assertValidId);
    return { kind: 'id', ids };
  }
  const param = registry.searchParameter(resourceType, name);
  if (!param || !isSupportedParam(param)) return undefined;
  const values = value.split(/(?<!\\),/);
  const any: Predicate[] = [];
  for (const raw of values) {
    const p = parseValue(param.type, name, modifier, raw, param.definition.target ?? []);
    if (!p) return undefined;
    any.push(p);
  }
  return any.length === 1 ? any[0] : { kind: 'or', any };
}

function parseValue(
  type: string,
  code: string,
  modifier: string | undefined,
  raw: string,
  targets: readonly string[]
): Predicate | undefined {
  const unescape = (s: string) => s.replace(/\\([,|$\\])/g, '$1');
  switch (type) {
    case 'string':
      if (modifier === undefined) return { kind: 'string', code, match: 'start', value: foldString(unescape(raw)) };
      if (modifier === 'exact') return { kind: 'string', code, match: 'exact', value: unescape(raw) };
      if (modifier === 'contains') return { kind: 'string', code, match: 'contains', value: foldString(unescape(raw)) };
      return undefined;
    case 'token': {
      if (modifier !== undefined) return undefined;
      const [system, codeValue] = splitToken(raw);
      const v = codeValue === '' ? undefined : unescape(codeValue);
      if (system === undefined) return { kind: 'token', code, value: v };
      return { kind: 'token', code, system: system === '' ? null : unescape(system), value: v };
    }
    case 'reference': {
      const v = unescape(raw);
      if (modifier !== undefined && !/^[A-Z][A-Za-z]+$/.test(modifier)) return undefined;
      if (/^[A-Za-z0-9\-.]{1,64}$/.test(v)) {
        // a bare id: Type/id when the modifier or the parameter's single target names the type
        const targetType = modifier ?? (targets.length === 1 ? targets[0] : undefined);
        return targetType ? { kind: 'reference', code, reference: `${targetType}/${v}` } : { kind: 'reference', code, targetId: v };
      }
      if (modifier !== undefined) return undefined;
      return { kind: 'reference', code, reference: v.replace(/\/_history\/[^/]+$/, '') };
    }
    case 'uri':
      if (modifier !== undefined) return undefined;
      return { kind: 'uri', code, value: unescape(raw) };
    default:
      return undefined;
  }
}

import type { Config } from '../config';
import type { DefinitionRegistry, SearchParamEntry } from '../definitions/registry';
import { ID_RE } from '../fhir/util';
import { badSearch, show, unsupported } from './errors';
import { isIdentifierElement, isLowCardinality } from './elements';
import { compositeSecondType } from './extract';
import type { Predicate } from './plan';
import { applyResultParam, IGNORED_PARAMS, RESULT_PARAMS, type ResultParams } from './result-params';
import { expandKnownValueSet, type SystemCode } from './terminology';
import { splitUnescaped, valuePredicate, type ValueContext } from './values';

/** Caps that keep one request from fanning out into an unbounded query. */
export const LIMITS = { params: 100, valueLength: 4096, orValues: 100, chainDepth: 4 };

const COMPOSITE_SECONDS = new Set(['token', 'string', 'date', 'number', 'quantity']);

/** Whether searches on this parameter work (what the CapabilityStatement lists). */
export function isSupportedParam(registry: DefinitionRegistry, resourceType: string, param: SearchParamEntry): boolean {
  if (!param.expression || param.type === 'special') return false;
  if (param.type === 'composite') return COMPOSITE_SECONDS.has(compositeSecondType(registry, resourceType, param) ?? '');
  return true;
}

export interface ParseOptions {
  handling: 'strict' | 'lenient';
  baseUrl: string;
  now: number;
  /** Stored ValueSets fetched ahead for `:in`/`:not-in` (the specification's are expanded here). */
  valueSets?: Map<string, SystemCode[] | null>;
  /** System-level search: `_type` was consumed by the caller. */
  system?: boolean;
}

export interface ParsedSearch extends ResultParams {
  resourceTypes: string[];
  where: Predicate[];
  /** The parameters applied, for the self link. */
  applied: [string, string][];
  /** Parameters ignored because unknown or unsupported (reported, or 400 under Prefer: handling=strict). */
  ignored: string[];
}

/**
 * Parses search parameters against the SearchParameter registry into plan predicates (one AND term
 * per parameter, one OR term per comma-separated value). Values are data, never query syntax.
 */
export function parseSearch(
  registry: DefinitionRegistry,
  resourceTypes: string[],
  query: [string, string][],
  config: Pick<Config, 'defaultCount' | 'maxCount'>,
  options: ParseOptions
): ParsedSearch {
  if (query.length > LIMITS.params) throw badSearch('TOO-MANY', `At most ${LIMITS.params} search parameters`);
  const out: ParsedSearch = {
    resourceTypes,
    where: [],
    count: config.defaultCount,
    total: 'estimate',
    totalGiven: false,
    sort: [],
    include: [],
    revinclude: [],
    applied: [],
    ignored: [],
  };
  const parser = new ParamParser(registry, options);
  for (const [rawName, value] of query) {
    if (value === '' || IGNORED_PARAMS.has(rawName)) continue; // empty parameters are ignored (search.html#errors)
    if (value.length > LIMITS.valueLength || rawName.length > 256) throw badSearch('TOO-LONG', `Search parameter "${show(rawName)}" is too long`);
    if (rawName === '_type' && options.system) continue;
    const colon = rawName.indexOf(':');
    const base = colon < 0 ? rawName : rawName.slice(0, colon);
    if (RESULT_PARAMS.has(base)) {
      const echo = applyResultParam(out, registry, resourceTypes, base, colon < 0 ? undefined : rawName.slice(colon + 1), value, config);
      if (echo !== undefined && base !== '_count') out.applied.push([rawName, echo]);
      continue;
    }
    const predicate = parser.parameter(resourceTypes, rawName, value, 0);
    if (!predicate) {
      if (options.handling === 'strict') {
        throw unsupported('PARAM', `Unknown or unsupported search parameter "${show(rawName)}" for ${resourceTypes.length === 1 ? resourceTypes[0] : 'these types'}`);
      }
      out.ignored.push(rawName);
      continue;
    }
    out.where.push(predicate);
    out.applied.push([rawName, value]);
  }
  return out;
}

class ParamParser {
  private readonly vc: ValueContext;
  /** The types the parameter being parsed applies to. */
  private types: string[] = [];

  constructor(
    private readonly registry: DefinitionRegistry,
    private readonly options: ParseOptions
  ) {
    this.vc = {
      baseUrl: options.baseUrl,
      now: options.now,
      expand: (url) => options.valueSets?.get(url) ?? expandKnownValueSet(url),
      compositeSecondType: (param) => compositeSecondType(registry, firstBase(param), param),
      isBroad: (param) => param.type === 'token' && this.types.every((t) => isLowCardinality(t, param)),
      isIdentifier: (param) => param.type === 'token' && this.types.every((t) => isIdentifierElement(t, param)),
    };
  }

  /** A parameter as one predicate; undefined when it is unknown or unsupported here. */
  parameter(types: string[], rawName: string, value: string, depth: number): Predicate | undefined {
    this.types = types;
    if (depth > LIMITS.chainDepth) throw badSearch('CHAIN-DEPTH', `Chains and _has may nest at most ${LIMITS.chainDepth} deep`);
    if (rawName.startsWith('_has:')) return this.has(types, rawName, value, depth);
    const dot = rawName.indexOf('.');
    if (dot >= 0) return this.chain(types, rawName.slice(0, dot), rawName.slice(dot + 1), value, depth);
    return this.leaf(types, rawName, value);
  }

  private leaf(types: string[], rawName: string, value: string): Predicate | undefined {
    const colon = rawName.indexOf(':');
    const code = colon < 0 ? rawName : rawName.slice(0, colon);
    const modifier = colon < 0 ? undefined : rawName.slice(colon + 1);
    const values = splitUnescaped(value, ',');
    if (values.length > LIMITS.orValues) throw badSearch('TOO-MANY-VALUES', `At most ${LIMITS.orValues} values per parameter`);
    if (code === '_id') {
      for (const id of values) if (!ID_RE.test(id)) throw badSearch('ID', `"${show(id)}" is not a valid id`);
      if (modifier === undefined) return { kind: 'id', ids: values };
      if (modifier === 'not') return { kind: 'not', predicate: { kind: 'id', ids: values } };
      throw unsupported('MODIFIER', `Modifier :${show(modifier)} is not supported on _id`);
    }
    const param = this.common(types, code);
    if (!param) return undefined;
    if (modifier === 'missing') {
      if (value !== 'true' && value !== 'false') throw badSearch('MISSING', `:missing takes true or false, got "${show(value)}"`);
      const missing = value === 'true';
      const own: Predicate = { kind: 'missing', code, type: param.type as Extract<Predicate, { kind: 'missing' }>['type'], missing };
      if (param.type !== 'reference') return own;
      // a reference given only by identifier is present too
      const byIdentifier: Predicate = { kind: 'missing', code: `${code}:identifier`, type: 'token', missing };
      return missing ? { kind: 'and', all: [own, byIdentifier] } : { kind: 'or', any: [own, byIdentifier] };
    }
    const any = values.map((v) => {
      if (v === '') throw badSearch('EMPTY-VALUE', `An empty value in the list of ${show(rawName)}`);
      return valuePredicate(param, modifier, v, this.vc);
    });
    return any.length === 1 ? any[0] : { kind: 'or', any };
  }

  /** The parameter `code` when every searched type has it with the same type and it is supported. */
  private common(types: string[], code: string): SearchParamEntry | undefined {
    let found: SearchParamEntry | undefined;
    for (const t of types) {
      const p = this.registry.searchParameter(t, code);
      if (!p || !isSupportedParam(this.registry, t, p)) {
        if (types.length > 1) throw badSearch('TYPE-PARAM', `"${show(code)}" is not a supported parameter common to all of _type`);
        return undefined;
      }
      if (found && found.type !== p.type) throw badSearch('TYPE-PARAM', `"${show(code)}" differs in type across _type`);
      found ??= p;
    }
    return found;
  }

  /** `ref[:Type].rest`: the reference points at a resource for which `rest` holds. */
  private chain(types: string[], link: string, rest: string, value: string, depth: number): Predicate | undefined {
    const colon = link.indexOf(':');
    const code = colon < 0 ? link : link.slice(0, colon);
    const typeModifier = colon < 0 ? undefined : link.slice(colon + 1);
    const param = this.common(types, code);
    if (!param || param.type !== 'reference') return undefined;
    if (typeModifier !== undefined && !this.registry.isResourceType(typeModifier)) throw badSearch('CHAIN', `Unknown type :${show(typeModifier)} in a chain`);
    const nextCode = rest.split(/[.:]/, 1)[0];
    const candidates = typeModifier ? [typeModifier] : targetTypes(this.registry, param);
    const targets = candidates.filter((t) => nextCode === '_id' || nextCode === '_has' || this.registry.searchParameter(t, nextCode));
    if (targets.length === 0) return undefined;
    const any: Predicate[] = [];
    for (const target of targets) {
      const inner = this.parameter([target], rest, value, depth + 1);
      if (!inner) return undefined;
      // the guarded store adds each target type's access terms when the plan runs
      any.push({ kind: 'chain', code, targetTypes: [target], where: [inner] });
    }
    return any.length === 1 ? any[0] : { kind: 'or', any };
  }

  /** `_has:Source:ref:rest`: some Source whose `ref` points here satisfies `rest`. */
  private has(types: string[], rawName: string, value: string, depth: number): Predicate | undefined {
    const m = /^_has:([A-Z][A-Za-z]{1,63}):([a-z][A-Za-z0-9-]{0,63}):(.+)$/.exec(rawName);
    if (!m || !this.registry.isResourceType(m[1])) throw badSearch('HAS', `"${show(rawName)}" is not _has:Type:reference:parameter`);
    const [, sourceType, code, rest] = m;
    const ref = this.registry.searchParameter(sourceType, code);
    if (!ref || ref.type !== 'reference') throw badSearch('HAS', `${sourceType} has no reference parameter "${show(code)}"`);
    const targets = ref.definition.target ?? [];
    if (targets.length && !types.every((t) => targets.includes(t as never))) {
      throw badSearch('HAS', `${sourceType}.${code} does not refer to ${types.join(', ')}`);
    }
    const inner = this.parameter([sourceType], rest, value, depth + 1);
    if (!inner) return undefined;
    return { kind: 'has', sourceType, code, where: [inner] };
  }
}

function targetTypes(registry: DefinitionRegistry, param: SearchParamEntry): string[] {
  const targets = (param.definition.target ?? []) as string[];
  return targets.length ? targets.filter((t) => registry.isResourceType(t)) : registry.resourceTypes();
}

function firstBase(param: SearchParamEntry): string {
  return (param.definition.base?.[0] as string | undefined) ?? 'Resource';
}

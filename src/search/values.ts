import type { SearchParamEntry } from '../definitions/registry';
import { ID_PATTERN, ID_RE } from '../fhir/util';
import { badSearch, show, unsupported } from './errors';
import { foldString } from './normalize';
import { numberCondition, parseDateValue, parseNumber, scaleCondition } from './prefixes';
import type { CompositeSecond, Predicate } from './plan';
import { MAX_EXPANSION, type SystemCode } from './terminology';
import { UCUM, ucumBase } from './ucum';

/** What value parsing needs from its surroundings. */
export interface ValueContext {
  /** Absolute base URL of this server, so `[base]/Patient/1` means `Patient/1`. */
  baseUrl: string;
  now: number;
  /** A ValueSet's codes for `:in`/`:not-in`, or null when it cannot be expanded locally. */
  expand(url: string): SystemCode[] | null;
  /** Whether a token parameter's values come from a small closed set. */
  isBroad(param: SearchParamEntry): boolean;
  /** Whether a token parameter indexes an Identifier element. */
  isIdentifier(param: SearchParamEntry): boolean;
  /** The type of a composite's second component. */
  compositeSecondType(param: SearchParamEntry): string | undefined;
}

/** Unescapes `\,` `\|` `\$` `\\` (search.html#escaping). */
export function unescapeValue(s: string): string {
  return s.replace(/\\([,|$\\])/g, '$1');
}

/** Splits on a separator not escaped with a backslash. */
export function splitUnescaped(value: string, sep: ',' | '|' | '$', limit = Infinity): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      cur += c + value[i + 1];
      i++;
    } else if (c === sep && out.length < limit - 1) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const TYPE_RE = /^[A-Z][A-Za-z]{1,63}$/;
const LOCAL = new RegExp(`^([A-Z][A-Za-z]+)/(${ID_PATTERN})$`);
const VERSIONED_LOCAL = new RegExp(`^([A-Z][A-Za-z]+/${ID_PATTERN})/_history/${ID_PATTERN}$`);

/** One comma-separated value of a parameter (with its modifier) as a predicate. */
export function valuePredicate(param: SearchParamEntry, modifier: string | undefined, raw: string, vc: ValueContext): Predicate {
  const p = valuePredicateOf(param, modifier, raw, vc);
  if (p.kind === 'token' && p.code === param.code && vc.isBroad(param)) p.broad = true;
  if (p.kind === 'token' && p.code === param.code && vc.isIdentifier(param)) p.identifier = true;
  return p;
}

function valuePredicateOf(param: SearchParamEntry, modifier: string | undefined, raw: string, vc: ValueContext): Predicate {
  const code = param.code;
  switch (param.type) {
    case 'string':
      if (modifier === undefined) return { kind: 'string', code, match: 'start', value: foldString(unescapeValue(raw)) };
      if (modifier === 'exact') return { kind: 'string', code, match: 'exact', value: unescapeValue(raw) };
      if (modifier === 'contains') return { kind: 'string', code, match: 'contains', value: foldString(unescapeValue(raw)) };
      throw badModifier(param, modifier);
    case 'token':
      return tokenPredicate(param, modifier, raw, vc);
    case 'reference':
      return referencePredicate(param, modifier, raw, vc);
    case 'uri':
      return uriPredicate(param, modifier, unescapeValue(raw));
    case 'date':
      if (modifier !== undefined) throw badModifier(param, modifier);
      return { kind: 'date', code, condition: parseDateValue(raw, vc.now) };
    case 'number': {
      if (modifier !== undefined) throw badModifier(param, modifier);
      const n = parseNumber(raw);
      return { kind: 'number', code, condition: numberCondition(n.prefix, n.value, n.low, n.high) };
    }
    case 'quantity':
      if (modifier !== undefined) throw badModifier(param, modifier);
      return quantityPredicate(code, raw);
    case 'composite':
      if (modifier !== undefined) throw badModifier(param, modifier);
      return compositePredicate(param, raw, vc);
    default:
      throw unsupported('PARAM-TYPE', `Search parameter ${param.code} of type ${param.type} is not supported`);
  }
}

function badModifier(param: SearchParamEntry, modifier: string) {
  return unsupported('MODIFIER', `Modifier :${show(modifier)} is not supported on ${param.type} parameter ${param.code}`);
}

/** `[system|]code` as its system (undefined: any; null: none) and code (undefined: any). */
function splitToken(raw: string): { system?: string | null; value?: string } {
  const parts = splitUnescaped(raw, '|', 2);
  if (parts.length === 1) return { value: unescapeValue(parts[0]) };
  const [system, value] = parts.map(unescapeValue);
  if (system === '' && value === '') throw badSearch('TOKEN', 'A token search value needs a system or a code');
  return { system: system === '' ? null : system, ...(value === '' ? {} : { value }) };
}

function tokenPredicate(param: SearchParamEntry, modifier: string | undefined, raw: string, vc: ValueContext): Predicate {
  const code = param.code;
  switch (modifier) {
    case undefined:
      return { kind: 'token', code, ...splitToken(raw) };
    case 'not':
      return { kind: 'not', predicate: { kind: 'token', code, ...splitToken(raw) } };
    case 'text':
      return { kind: 'token', code, text: foldString(unescapeValue(raw)) };
    case 'of-type': {
      const parts = splitUnescaped(raw, '|', 3).map(unescapeValue);
      if (parts.length !== 3 || !parts[1] || !parts[2]) throw badSearch('OF-TYPE', ':of-type needs system|code|value');
      return { kind: 'token', code: `${code}:of-type`, system: parts[0] === '' ? null : parts[0], value: `${parts[1]}|${parts[2]}` };
    }
    case 'in':
    case 'not-in': {
      const url = unescapeValue(raw);
      const codes = vc.expand(url);
      if (!codes) throw unsupported('VALUESET', `ValueSet ${show(url)} cannot be expanded on this server`);
      if (codes.length > MAX_EXPANSION) throw badSearch('VALUESET', `ValueSet ${show(url)} is too large to search with`);
      const any: Predicate = { kind: 'or', any: codes.map((c) => ({ kind: 'token', code, system: c.system, value: c.code })) };
      return modifier === 'in' ? any : { kind: 'not', predicate: any };
    }
    default:
      throw badModifier(param, modifier);
  }
}

function referencePredicate(param: SearchParamEntry, modifier: string | undefined, raw: string, vc: ValueContext): Predicate {
  const code = param.code;
  if (modifier === 'identifier') return { kind: 'token', code: `${code}:identifier`, ...splitToken(raw) };
  if (modifier !== undefined && !TYPE_RE.test(modifier)) throw badModifier(param, modifier);
  let v = unescapeValue(raw);
  if (v.startsWith(`${vc.baseUrl}/`)) v = v.slice(vc.baseUrl.length + 1);
  v = v.replace(VERSIONED_LOCAL, '$1');
  const targets = param.definition.target ?? [];
  if (modifier !== undefined && targets.length && !targets.includes(modifier as never)) {
    throw badSearch('REFERENCE-TYPE', `${param.code} cannot refer to a ${show(modifier)}`);
  }
  if (ID_RE.test(v)) {
    // a bare id: Type/id when the modifier or the parameter's single target names the type
    const type = modifier ?? (targets.length === 1 ? targets[0] : undefined);
    return type ? { kind: 'reference', code, reference: `${type}/${v}` } : { kind: 'reference', code, targetId: v, ...(targets.length ? { targetTypes: [...targets] } : {}) };
  }
  const local = LOCAL.exec(v);
  if (local) {
    if (modifier !== undefined && local[1] !== modifier) throw badSearch('REFERENCE-TYPE', `"${show(v)}" is not a ${modifier}`);
    return { kind: 'reference', code, reference: v };
  }
  if (modifier !== undefined) throw badSearch('REFERENCE', `"${show(v)}" is not a reference to a ${modifier}`);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(v)) throw badSearch('REFERENCE', `"${show(v)}" is neither an id, Type/id, nor an absolute URL`);
  const bar = v.indexOf('|');
  if (bar >= 0) return { kind: 'reference', code, reference: v.slice(0, bar), version: v.slice(bar + 1) };
  return { kind: 'reference', code, reference: v };
}

function uriPredicate(param: SearchParamEntry, modifier: string | undefined, v: string): Predicate {
  const code = param.code;
  if (modifier === undefined) return { kind: 'uri', code, match: 'exact', values: [v] };
  if (modifier === 'below') return { kind: 'uri', code, match: 'below', values: [v] };
  if (modifier === 'above') {
    // every ancestor path of the URL (the value itself included), down to its authority
    const values = [v];
    const start = v.indexOf('://') >= 0 ? v.indexOf('://') + 3 : 0;
    for (let i = v.length - 1; i > start && values.length < 64; i--) if (v[i] === '/') values.push(v.slice(0, i));
    return { kind: 'uri', code, match: 'above', values };
  }
  throw badModifier(param, modifier);
}

function quantityPredicate(code: string, raw: string): Predicate {
  const [num, system, unit] = splitUnescaped(raw, '|', 3).map(unescapeValue);
  const n = parseNumber(num);
  const condition = numberCondition(n.prefix, n.value, n.low, n.high);
  if (system === UCUM && unit) {
    const base = ucumBase(unit);
    if (base) return { kind: 'quantity', code: `${code}:canonical`, condition: scaleCondition(condition, base.factor), system: UCUM, unit: base.unit };
  }
  return { kind: 'quantity', code, condition, ...(system ? { system } : {}), ...(unit ? { unit } : {}) };
}

function compositePredicate(param: SearchParamEntry, raw: string, vc: ValueContext): Predicate {
  const parts = splitUnescaped(raw, '$', 2);
  if (parts.length !== 2) throw badSearch('COMPOSITE', `Composite parameter ${param.code} needs two values joined by $`);
  const first = splitToken(parts[0]);
  const secondType = vc.compositeSecondType(param);
  let second: CompositeSecond;
  switch (secondType) {
    case 'token':
      second = { type: 'token', ...splitToken(parts[1]) };
      break;
    case 'string':
      second = { type: 'string', value: foldString(unescapeValue(parts[1])) };
      break;
    case 'date':
      second = { type: 'range', condition: parseDateValue(parts[1], vc.now) };
      break;
    case 'number':
    case 'quantity': {
      const [num, system, unit] = splitUnescaped(parts[1], '|', 3).map(unescapeValue);
      const n = parseNumber(num);
      second = { type: 'range', condition: numberCondition(n.prefix, n.value, n.low, n.high), ...(system ? { system } : {}), ...(unit ? { unit } : {}) };
      break;
    }
    default:
      throw unsupported('COMPOSITE', `Composite parameter ${param.code} is not supported`);
  }
  return { kind: 'composite', code: param.code, first, second };
}

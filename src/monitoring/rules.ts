import type { Coding, Observation, ObservationDefinition, Quantity, Resource } from '../fhir/types';
import { ucumBase, UCUM } from '../search/ucum';

/**
 * Monitoring rules read from ObservationDefinitions (the guide's Monitoring page): each `critical`
 * qualifiedInterval with a range is a rule on the readings that carry one of the definition's codes,
 * as the Observation's own value or as a component's. Bounds are inclusive unless the interval's
 * monitoring-boundary says exclusive; monitoring-sustained asks for `count` readings within `period`.
 */
export const EXT = 'http://insured.example.org/fhir/StructureDefinition';
const BOUNDARY = `${EXT}/monitoring-boundary`;
const SUSTAINED = `${EXT}/monitoring-sustained`;
const DEVICE_READINGS = `${EXT}/monitoring-device-readings`;

export interface Rule {
  /** `ObservationDefinition/{id}`, and `#{n}` for any interval after a definition's first. */
  key: string;
  definition: string;
  codes: Coding[];
  /** The unit of the thresholds (UCUM code) and how readings in other units are brought to it. */
  unit: string;
  unitDisplay?: string;
  customary?: { unit: string; factor: number };
  low?: number;
  high?: number;
  exclusive: boolean;
  sustained?: { count: number; periodMs: number };
  /** Only readings taken by a device (Observation.device) count. */
  deviceOnly: boolean;
  /** What the alert says (qualifiedInterval.condition, else the definition's report name). */
  condition: string;
}

/** One value of a reading: the Observation's own or a component's, with the code it carries. */
export interface Reading {
  codes: Coding[];
  value: Quantity;
}

const PERIOD_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, min: 60_000, s: 1000, wk: 7 * 86_400_000 };

/** The rules of one ObservationDefinition ([] when it has none the server can judge). */
export function rulesOf(def: ObservationDefinition): Rule[] {
  const codes = (def.code?.coding ?? []).filter((c) => c.system && c.code);
  const unitCoding = def.quantitativeDetails?.unit?.coding?.find((c) => c.system === UCUM && c.code);
  if (!def.id || codes.length === 0 || !unitCoding?.code) return [];
  const customaryCode = def.quantitativeDetails?.customaryUnit?.coding?.find((c) => c.system === UCUM && c.code)?.code;
  const factor = def.quantitativeDetails?.conversionFactor;
  const rules: Rule[] = [];
  for (const [n, interval] of (def.qualifiedInterval ?? []).entries()) {
    if (interval.category !== 'critical' || !interval.range) continue;
    const low = interval.range.low?.value;
    const high = interval.range.high?.value;
    if (low === undefined && high === undefined) continue;
    const ext = interval.extension ?? [];
    const sustainedExt = ext.find((e) => e.url === SUSTAINED);
    let sustained: Rule['sustained'];
    if (sustainedExt) {
      const count = sustainedExt.extension?.find((e) => e.url === 'count')?.valuePositiveInt;
      const period = sustainedExt.extension?.find((e) => e.url === 'period')?.valueDuration;
      const per = PERIOD_MS[period?.code ?? period?.unit ?? ''];
      if (!count || period?.value === undefined || !per) continue;
      sustained = { count, periodMs: period.value * per };
    }
    rules.push({
      key: `ObservationDefinition/${def.id}${n === 0 ? '' : `#${n}`}`,
      definition: `ObservationDefinition/${def.id}`,
      codes,
      unit: unitCoding.code,
      unitDisplay: unitCoding.display,
      customary: customaryCode && factor ? { unit: customaryCode, factor } : undefined,
      low: low === undefined ? undefined : Number(low),
      high: high === undefined ? undefined : Number(high),
      exclusive: ext.find((e) => e.url === BOUNDARY)?.valueCode === 'exclusive',
      sustained,
      deviceOnly: ext.find((e) => e.url === DEVICE_READINGS)?.valueBoolean === true,
      condition: interval.condition ?? def.preferredReportName ?? def.code.text ?? codes[0].display ?? codes[0].code ?? '',
    });
  }
  return rules;
}

/** The readings of an Observation that can be judged: its valueQuantity and its components' (R4 status not in error). */
export function readingsOf(obs: Observation): Reading[] {
  if (obs.status === 'entered-in-error' || obs.status === 'cancelled' || obs.status === 'registered') return [];
  const out: Reading[] = [];
  if (obs.valueQuantity?.value !== undefined) out.push({ codes: obs.code?.coding ?? [], value: obs.valueQuantity });
  for (const c of obs.component ?? []) if (c.valueQuantity?.value !== undefined) out.push({ codes: c.code?.coding ?? [], value: c.valueQuantity });
  return out;
}

const sameCode = (a: Coding, b: Coding) => a.system === b.system && a.code === b.code;

/** The reading's value in the rule's unit, or undefined when the units cannot be converted. */
export function valueInRuleUnit(rule: Rule, q: Quantity): number | undefined {
  const value = Number(q.value);
  const unit = q.system === UCUM || q.system === undefined ? (q.code ?? q.unit) : undefined;
  if (unit === undefined || !Number.isFinite(value)) return undefined;
  if (unit === rule.unit) return value;
  const convert = (from: string, to: string) => {
    const a = ucumBase(from);
    const b = ucumBase(to);
    return a && b && a.unit === b.unit ? (value * a.factor) / b.factor : undefined;
  };
  const direct = convert(unit, rule.unit);
  const viaCustomary = rule.customary && (unit === rule.customary.unit ? value : convert(unit, rule.customary.unit));
  const result = direct ?? (viaCustomary === undefined || !rule.customary ? undefined : viaCustomary / rule.customary.factor);
  // conversions are floating point: ten significant digits keep a converted value on its bound
  return result === undefined ? undefined : Number(result.toPrecision(10));
}

export function inInterval(rule: Rule, value: number): boolean {
  if (rule.low !== undefined && (rule.exclusive ? value <= rule.low : value < rule.low)) return false;
  if (rule.high !== undefined && (rule.exclusive ? value >= rule.high : value > rule.high)) return false;
  return true;
}

/** The first reading of the Observation the rule finds in its interval, with its value in the rule's unit. */
export function judge(rule: Rule, obs: Observation): { reading: Reading; value: number } | undefined {
  if (rule.deviceOnly && !obs.device) return undefined;
  for (const reading of readingsOf(obs)) {
    if (!reading.codes.some((c) => rule.codes.some((r) => sameCode(c, r)))) continue;
    const value = valueInRuleUnit(rule, reading.value);
    if (value !== undefined && inInterval(rule, value)) return { reading, value };
  }
  return undefined;
}

/** When the reading was taken: effective[x], else issued; undefined when neither is given. */
export function takenAt(obs: Observation): number | undefined {
  const when = obs.effectiveDateTime ?? obs.effectiveInstant ?? obs.effectivePeriod?.end ?? obs.effectivePeriod?.start ?? obs.issued;
  const t = when ? Date.parse(when) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** The rules by code (`system|code`), rebuilt as definitions come and go. */
export class RuleSet {
  private readonly byDefinition = new Map<string, Rule[]>();
  private byCode = new Map<string, Rule[]>();

  put(def: ObservationDefinition): void {
    this.byDefinition.set(`ObservationDefinition/${def.id}`, rulesOf(def));
    this.rebuild();
  }

  remove(id: string): void {
    if (this.byDefinition.delete(`ObservationDefinition/${id}`)) this.rebuild();
  }

  all(): Rule[] {
    return [...this.byDefinition.values()].flat();
  }

  /** The rules that may judge some reading of this resource. */
  forResource(r: Resource): Rule[] {
    if (r.resourceType !== 'Observation') return [];
    const found = new Set<Rule>();
    for (const reading of readingsOf(r as Observation)) {
      for (const c of reading.codes) for (const rule of this.byCode.get(`${c.system}|${c.code}`) ?? []) found.add(rule);
    }
    return [...found];
  }

  private rebuild(): void {
    this.byCode = new Map();
    for (const rule of this.all()) {
      for (const c of rule.codes) {
        const key = `${c.system}|${c.code}`;
        this.byCode.set(key, [...(this.byCode.get(key) ?? []), rule]);
      }
    }
  }
}

import { UcumLhcUtils } from '@lhncbc/ucum-lhc';

export const UCUM = 'http://unitsofmeasure.org';

let utils: { convertToBaseUnits(unit: string, value: number): BaseUnits } | undefined;

interface BaseUnits {
  status: string;
  magnitude?: number;
  unitToExp?: Record<string, number>;
  fromUnitIsSpecial?: boolean;
}

const cache = new Map<string, { factor: number; unit: string } | null>();

/**
 * A UCUM unit as a factor to its base units and the canonical text of those units ("g.m-1.s-2"),
 * or null when the conversion is not simple (invalid, arbitrary or special units such as Cel).
 */
export function ucumBase(unit: string): { factor: number; unit: string } | null {
  if (unit.length > 64) return null;
  const hit = cache.get(unit);
  if (hit !== undefined) return hit;
  utils ??= UcumLhcUtils.getInstance();
  let out: { factor: number; unit: string } | null = null;
  try {
    const r = utils.convertToBaseUnits(unit, 1);
    if (r.status === 'succeeded' && !r.fromUnitIsSpecial && typeof r.magnitude === 'number' && Number.isFinite(r.magnitude)) {
      const parts = Object.entries(r.unitToExp ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([u, e]) => (e === 1 ? u : `${u}${e}`));
      out = { factor: r.magnitude, unit: parts.length ? parts.join('.') : '1' };
    }
  } catch {
    out = null;
  }
  if (cache.size < 10_000) cache.set(unit, out);
  return out;
}

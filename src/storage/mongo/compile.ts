import type { CompositeSecond, Predicate, RangeCondition, RangeTest } from '../../search/plan';
import type { DocCollection, TxSession } from './collections';
import { FIELD_OF, type MongoDocument, type ResourceDoc } from './documents';

/**
 * Compiles the predicates of a backend-neutral search plan to a MongoDB filter on the `resources`
 * collection. Every value from the plan sits in a value position (never a field name, never an
 * operator): a string such as '$gt' or '{"$where": …}' is matched as the text it is. Each test on
 * index rows is one `$elemMatch` on the type's array, so (code, value…) must hold on the same row
 * and a compound multikey index leading with the code serves it.
 *
 * Chains, `_has` and $everything's referenced resources need a join, which a MongoDB filter cannot
 * express: their inner query runs first, projecting only the keys it yields, and the outer filter
 * then matches those keys with `$in`. The inner query is as selective as the chained parameters.
 */
export class FilterCompiler {
  constructor(
    private readonly resources: DocCollection<ResourceDoc>,
    private readonly session: TxSession | undefined
  ) {}

  /** Live resources of `types` matching all of `where`. */
  async where(types: string[], where: Predicate[]): Promise<MongoDocument> {
    const parts: MongoDocument[] = [{ t: types.length === 1 ? types[0] : { $in: types } }, { del: false }];
    for (const p of where) parts.push(await this.compile(p, types));
    return { $and: parts };
  }

  private async compile(p: Predicate, types: string[]): Promise<MongoDocument> {
    switch (p.kind) {
      case 'id':
        return { id: { $in: p.ids } };
      case 'type':
        return { t: { $in: p.types } };
      case 'string': {
        const value =
          p.match === 'exact' ? { x: p.value } : p.match === 'contains' ? { v: { $regex: escapeRegExp(p.value) } } : { v: prefix(p.value) };
        return rows('string', p.code, value);
      }
      case 'token':
        return rows('token', p.code, {
          ...(p.value !== undefined ? { v: p.value } : {}),
          ...(p.system !== undefined ? { s: p.system } : {}),
          ...(p.text !== undefined ? { tx: prefix(p.text) } : {}),
        });
      case 'reference':
        return rows('reference', p.code, {
          ...(p.reference !== undefined ? { r: p.reference } : { ti: p.targetId ?? '', ...(p.targetTypes ? { tt: { $in: p.targetTypes } } : {}) }),
          ...(p.version !== undefined ? { ver: p.version } : {}),
        });
      case 'uri':
        return rows('uri', p.code, { v: p.match === 'below' ? prefix(p.values[0]) : { $in: p.values } });
      case 'date':
        return rows('date', p.code, range(p.condition, { low: 'lo', high: 'hi', value: 'lo' }));
      case 'number':
        return rows('number', p.code, range(p.condition, { low: 'lo', high: 'hi', value: 'v' }));
      case 'quantity':
        return rows('quantity', p.code, {
          ...range(p.condition, { low: 'lo', high: 'hi', value: 'v' }),
          ...(p.system !== undefined ? { s: p.system } : {}),
          ...(p.unit !== undefined ? { u: p.unit } : {}),
        });
      case 'composite':
        return rows('composite', p.code, {
          ...(p.first.value !== undefined ? { v1: p.first.value } : {}),
          ...(p.first.system !== undefined ? { s1: p.first.system } : {}),
          ...compositeSecond(p.second),
        });
      case 'missing': {
        const any = { [FIELD_OF[p.type]]: { $elemMatch: { c: p.code } } };
        return p.missing ? { $nor: [any] } : any;
      }
      case 'not':
        return { $nor: [await this.compile(p.predicate, types)] };
      case 'chain': {
        const targets = await this.keys(p.targetTypes, p.where);
        return rows('reference', p.code, { r: { $in: targets } });
      }
      case 'has':
        return { _id: { $in: await this.referenced([p.sourceType], p.where, { 'ref.c': p.code }) } };
      case 'referencedBy':
        return { _id: { $in: await this.referenced(p.sourceTypes, p.where, { 'ref.tt': { $ne: null } }) } };
      case 'compartment':
        return p.compartments.length === 1 ? { cmp: p.compartments[0] } : { cmp: { $in: p.compartments } };
      case 'and':
        return p.all.length ? { $and: await this.all(p.all, types) } : {};
      case 'or':
        return p.any.length ? { $or: await this.all(p.any, types) } : NOTHING;
    }
  }

  private async all(predicates: Predicate[], types: string[]): Promise<MongoDocument[]> {
    const out: MongoDocument[] = [];
    for (const p of predicates) out.push(await this.compile(p, types));
    return out;
  }

  /** The 'Type/id' keys of the live resources of `types` matching `where`. */
  private async keys(types: string[], where: Predicate[]): Promise<string[]> {
    const docs = await this.resources.find(await this.where(types, where), { projection: { _id: 1 }, session: this.session }).toArray();
    return docs.map((d) => d._id);
  }

  /** The distinct references (reference rows matching `row`) held by live resources of `types` matching `where`. */
  private async referenced(types: string[], where: Predicate[], row: MongoDocument): Promise<string[]> {
    const groups = await this.resources
      .aggregate<{ _id: string }>([{ $match: await this.where(types, where) }, { $unwind: '$ref' }, { $match: row }, { $group: { _id: '$ref.r' } }], {
        session: this.session,
      })
      .toArray();
    return groups.map((g) => g._id);
  }
}

/** Matches no document ($or needs at least one branch). */
const NOTHING: MongoDocument = { _id: { $in: [] } };

/** An index row of `type` and `code` for which `conditions` hold (on that same row). */
function rows(type: keyof typeof FIELD_OF, code: string, conditions: MongoDocument): MongoDocument {
  return { [FIELD_OF[type]]: { $elemMatch: { c: code, ...conditions } } };
}

/** Strings starting with `value` (the code-point range, as an index can seek it). */
function prefix(value: string): MongoDocument {
  return { $gte: value, $lt: `${value}\u{10FFFF}` };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const OPERATOR: Record<RangeTest[1], string> = { '<': '$lt', '<=': '$lte', '>': '$gt', '>=': '$gte' };

/** Range tests on one index row: all of `all`, and all tests of some `any[i]`. */
function range(condition: RangeCondition, columns: Record<RangeTest[0], string>): MongoDocument {
  const tests = (list: RangeTest[]) => list.map(([field, op, value]) => ({ [columns[field]]: { [OPERATOR[op]]: value } }));
  if (condition.any.length === 0) return { c: { $in: [] } };
  const out: MongoDocument = {};
  const all = tests(condition.all ?? []);
  // an alternative without tests always holds, and so does the disjunction
  if (!condition.any.some((a) => a.length === 0)) out.$or = condition.any.map((a) => ({ $and: tests(a) }));
  if (all.length) out.$and = all;
  return out;
}

function compositeSecond(second: CompositeSecond): MongoDocument {
  switch (second.type) {
    case 'token':
      return { ...(second.value !== undefined ? { v2: second.value } : {}), ...(second.system !== undefined ? { s2: second.system } : {}) };
    case 'string':
      return { v2: prefix(second.value) };
    case 'range':
      return {
        ...range(second.condition, { low: 'lo2', high: 'hi2', value: 'n2' }),
        ...(second.system !== undefined ? { s2: second.system } : {}),
        ...(second.unit !== undefined ? { v2: second.unit } : {}),
      };
  }
}

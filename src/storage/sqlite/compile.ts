import type { CompositeSecond, Predicate, RangeCondition } from '../../search/plan';
import { TABLE_OF } from './schema';

export type Param = string | number | null;

/**
 * Compiles the predicates of a backend-neutral search plan to SQL over the current pointers of
 * `alias` (a `resource` row). Every value is a bound parameter. The most selective-looking term
 * drives: an uncorrelated `rid IN (SELECT rid FROM idx_… WHERE resource_type … AND code = ? …)` that
 * the (resource_type, code, value, rid) indexes serve. The other terms are checked per candidate
 * with `EXISTS (… WHERE rid = r.rid AND code = ? …)` on the (rid, code, …) indexes, so a broad term
 * never materialises its whole match list. With only broad terms nothing drives and the page is
 * read in rid order until it is full.
 */
export class PredicateCompiler {
  readonly params: Param[] = [];
  private depth = 0;
  /** Whether a term drives the outermost WHERE (then the matches are few and sorted after the fact). */
  driven = false;

  /** The WHERE clause of live resources of `types` matching all of `where`. */
  where(types: string[], where: Predicate[], alias: string, noDriver = false): string {
    // over several types, read in rowid order rather than merging one index range per type
    const clauses = [`${types.length > 1 ? '+' : ''}${alias}.resource_type ${this.inList(types)}`, `${alias}.deleted = 0`];
    const ranks = where.map(rank);
    const best = Math.min(...ranks);
    const driver = best <= BROAD && !noDriver ? ranks.indexOf(best) : -1;
    if (this.depth === 0 && alias === 'r') this.driven = driver >= 0;
    where.forEach((p, i) => clauses.push(this.predicate(p, types, alias, i !== driver)));
    return clauses.join(' AND ');
  }

  private inList(values: readonly (string | number)[]): string {
    if (values.length === 0) return 'IN (NULL)';
    this.params.push(...values);
    return values.length === 1 ? '= ?' : `IN (${values.map(() => '?').join(', ')})`;
  }

  private bind(...values: Param[]): void {
    this.params.push(...values);
  }

  /**
   * `alias.rid IN (SELECT rid FROM table WHERE resource_type … AND code = ? AND cond)`, or when
   * correlated `EXISTS (SELECT 1 FROM table WHERE rid = alias.rid AND code = ? AND cond)`.
   */
  private rows(alias: string, table: string, types: string[], code: string, cond: (add: (sql: string) => void) => void, negate = false): string {
    if (this.correlated) {
      const conds = [`rid = ${alias}.rid`, 'code = ?'];
      this.bind(code);
      cond((sql) => conds.push(sql));
      return `${negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} WHERE ${conds.join(' AND ')})`;
    }
    const conds = [`resource_type ${this.inList(types)}`, 'code = ?'];
    this.bind(code);
    cond((sql) => conds.push(sql));
    return `${alias}.rid ${negate ? 'NOT IN' : 'IN'} (SELECT rid FROM ${table} WHERE ${conds.join(' AND ')})`;
  }

  /** Whether the predicate being compiled is checked per candidate row rather than driving. */
  private correlated = false;

  predicate(p: Predicate, types: string[], alias: string, correlated = false): string {
    const saved = this.correlated;
    this.correlated = correlated;
    try {
      return this.compile(p, types, alias);
    } finally {
      this.correlated = saved;
    }
  }

  private compile(p: Predicate, types: string[], alias: string): string {
    switch (p.kind) {
      case 'id':
        return `${alias}.id ${this.inList(p.ids)}`;
      case 'type':
        return `${alias}.resource_type ${this.inList(p.types)}`;
      case 'string':
        return this.rows(alias, 'idx_string', types, p.code, (add) => {
          if (p.match === 'exact') {
            add('exact = ?');
            this.bind(p.value);
          } else if (p.match === 'contains') {
            add("value LIKE ? ESCAPE '\\'");
            this.bind(`%${escapeLike(p.value)}%`);
          } else {
            add('value >= ? AND value < ?');
            this.bind(p.value, `${p.value}\u{10FFFF}`);
          }
        });
      case 'token':
        return this.rows(alias, 'idx_token', types, p.code, (add) => {
          if (p.value !== undefined) {
            add('value = ?');
            this.bind(p.value);
          }
          if (p.system === null) add('system IS NULL');
          else if (p.system !== undefined) {
            add('system = ?');
            this.bind(p.system);
          }
          if (p.text !== undefined) {
            add('text >= ? AND text < ?');
            this.bind(p.text, `${p.text}\u{10FFFF}`);
          }
        });
      case 'reference':
        return this.rows(alias, 'idx_reference', types, p.code, (add) => {
          if (p.reference !== undefined) {
            add('reference = ?');
            this.bind(p.reference);
          } else {
            add('target_id = ?');
            this.bind(p.targetId ?? '');
            if (p.targetTypes) add(`target_type ${this.inList(p.targetTypes)}`);
          }
          if (p.version !== undefined) {
            add('version = ?');
            this.bind(p.version);
          }
        });
      case 'uri':
        return this.rows(alias, 'idx_uri', types, p.code, (add) => {
          if (p.match === 'below') {
            add('value >= ? AND value < ?');
            this.bind(p.values[0], `${p.values[0]}\u{10FFFF}`);
          } else add(`value ${this.inList(p.values)}`);
        });
      case 'date':
        return this.rows(alias, 'idx_date', types, p.code, (add) => add(this.range(p.condition, { low: 'low', high: 'high', value: 'low' })));
      case 'number':
        return this.rows(alias, 'idx_number', types, p.code, (add) => add(this.range(p.condition, { low: 'low', high: 'high', value: 'value' })));
      case 'quantity':
        return this.rows(alias, 'idx_quantity', types, p.code, (add) => {
          add(this.range(p.condition, { low: 'low', high: 'high', value: 'value' }));
          if (p.system !== undefined) {
            add('system = ?');
            this.bind(p.system);
          }
          if (p.unit !== undefined) {
            add('unit = ?');
            this.bind(p.unit);
          }
        });
      case 'composite':
        return this.rows(alias, 'idx_composite', types, p.code, (add) => {
          if (p.first.value !== undefined) {
            add('value1 = ?');
            this.bind(p.first.value);
          }
          if (p.first.system === null) add('system1 IS NULL');
          else if (p.first.system !== undefined) {
            add('system1 = ?');
            this.bind(p.first.system);
          }
          this.compositeSecond(p.second, add);
        });
      case 'missing':
        return this.rows(alias, TABLE_OF[p.type], types, p.code, () => undefined, p.missing);
      case 'not':
        return `NOT (${this.compile(p.predicate, types, alias)})`;
      case 'chain': {
        const t = this.alias('t');
        // checked per candidate, unary + makes SQLite seek the candidate's own reference rows and look each up
        // in the targets, instead of seeking the candidate once for every target (thousands for patient.gender)
        const column = this.correlated ? '+reference' : 'reference';
        // the referring rows whose Type/id is one of the matching targets (bound in text order)
        return this.rows(alias, 'idx_reference', types, p.code, (add) =>
          add(`${column} IN (SELECT ${t}.resource_type || '/' || ${t}.id FROM resource ${t} WHERE ${this.where(p.targetTypes, p.where, t)})`)
        );
      }
      case 'has': {
        const s = this.alias('s');
        if (this.correlated) {
          // per candidate: a live source row referring to it, its terms checked on that row
          this.bind(p.sourceType, p.code);
          const inner = this.where([p.sourceType], p.where, s, true);
          return `EXISTS (SELECT 1 FROM idx_reference x JOIN resource ${s} ON ${s}.rid = x.rid WHERE x.reference = (${alias}.resource_type || '/' || ${alias}.id) AND x.resource_type = ? AND x.code = ? AND ${inner})`;
        }
        const single = types.length === 1;
        // parameters are bound in the order they appear in the SQL text
        if (single) this.bind(types[0]);
        // unary + keeps SQLite from seeking on (resource_type, code): the referring rids drive instead
        const conds = ['+x.resource_type = ?', '+x.code = ?'];
        this.bind(p.sourceType, p.code);
        if (single) {
          conds.push('+x.target_type = ?');
          this.bind(types[0]);
        }
        conds.push(`x.rid IN (SELECT ${s}.rid FROM resource ${s} WHERE ${this.where([p.sourceType], p.where, s)})`);
        // by rid through the (resource_type, id) key, so the referring side drives the query
        if (single) return `${alias}.rid IN (SELECT h.rid FROM resource h WHERE h.resource_type = ? AND h.id IN (SELECT x.target_id FROM idx_reference x WHERE ${conds.join(' AND ')}))`;
        return `(${alias}.resource_type || '/' || ${alias}.id) IN (SELECT x.reference FROM idx_reference x WHERE ${conds.join(' AND ')})`;
      }
      case 'referencedBy': {
        // driven from the referring rows: their reference rows name the targets by (type, id)
        const s = this.alias('s');
        const inner = this.where(p.sourceTypes, p.where, s);
        return `${alias}.rid IN (SELECT h.rid FROM idx_reference x JOIN resource h ON h.resource_type = x.target_type AND h.id = x.target_id WHERE x.rid IN (SELECT ${s}.rid FROM resource ${s} WHERE ${inner}))`;
      }
      case 'compartment':
        if (this.correlated) return `EXISTS (SELECT 1 FROM resource_compartment WHERE compartment ${this.inList(p.compartments)} AND rid = ${alias}.rid)`;
        return `${alias}.rid IN (SELECT rid FROM resource_compartment WHERE compartment ${this.inList(p.compartments)})`;
      case 'and':
        if (p.all.length === 0) return '1';
        return `(${p.all.map((q) => this.compile(q, types, alias)).join(' AND ')})`;
      case 'or':
        if (p.any.length === 0) return '0';
        return `(${p.any.map((q) => this.compile(q, types, alias)).join(' OR ')})`;
    }
  }

  private compositeSecond(second: CompositeSecond, add: (sql: string) => void): void {
    switch (second.type) {
      case 'token':
        if (second.value !== undefined) {
          add('value2 = ?');
          this.bind(second.value);
        }
        if (second.system === null) add('system2 IS NULL');
        else if (second.system !== undefined) {
          add('system2 = ?');
          this.bind(second.system);
        }
        return;
      case 'string':
        add('value2 >= ? AND value2 < ?');
        this.bind(second.value, `${second.value}\u{10FFFF}`);
        return;
      case 'range':
        add(this.range(second.condition, { low: 'low2', high: 'high2', value: 'num2' }));
        if (second.system !== undefined) {
          add('system2 = ?');
          this.bind(second.system);
        }
        if (second.unit !== undefined) {
          add('value2 = ?');
          this.bind(second.unit);
        }
        return;
    }
  }

  /** A conjunction of column comparisons and a disjunction of conjunctions. */
  private range(condition: RangeCondition, columns: Record<'low' | 'high' | 'value', string>): string {
    const tests = (all: RangeCondition['any'][number]) =>
      all.map(([field, op, value]) => {
        this.bind(value);
        return `${columns[field]} ${op} ?`;
      });
    const parts = condition.all?.length ? tests(condition.all) : [];
    if (condition.any.length === 0) return '0';
    const terms = condition.any.map((all) => (all.length ? tests(all).join(' AND ') : '1'));
    parts.push(terms.length === 1 ? `(${terms[0]})` : `(${terms.map((t) => `(${t})`).join(' OR ')})`);
    return parts.join(' AND ');
  }

  private alias(prefix: string): string {
    this.depth += 1;
    return `${prefix}${this.depth}`;
  }
}

/** Ranks above this are too broad to drive a query: the page is then read in rid order. */
const BROAD = 5;

/** A guess at how selective a term is (lower drives first); the plan carries no statistics. */
function rank(p: Predicate): number {
  switch (p.kind) {
    case 'id':
      return 0;
    case 'reference':
    case 'uri':
      return p.kind === 'uri' && p.match !== 'exact' ? 4 : 1;
    case 'token':
      if (p.broad) return 6;
      // an identifier names one resource; a code (LOINC 8867-4) may be shared by a large share of the type
      if (p.value !== undefined) return p.identifier ? (p.system ? 1 : 2) : 3;
      return p.text !== undefined ? 4 : 6;
    case 'string':
      return p.match === 'exact' ? 1 : p.match === 'start' ? 3 : 7;
    case 'composite':
      return p.first.value !== undefined ? 2 : 6;
    case 'chain':
    case 'compartment':
      return 2;
    case 'has':
    case 'referencedBy':
      return 3;
    case 'date':
    case 'number':
    case 'quantity':
      return 5;
    case 'and':
      return p.all.length ? Math.min(...p.all.map(rank)) : 9;
    case 'or':
      return p.any.length ? Math.max(...p.any.map(rank)) : 0;
    default:
      return 9;
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

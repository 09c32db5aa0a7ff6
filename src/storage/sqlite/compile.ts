import type { Predicate, SearchPlan } from '../../search/plan';

type Param = string | number | null;

/** Compiles a backend-neutral search plan to one SQLite statement over the current pointers (alias r). */
export function compileWhere(plan: SearchPlan): { sql: string; params: Param[] } {
  const params: Param[] = [];
  const clauses = [`r.resource_type IN (${plan.resourceTypes.map(() => '?').join(', ')})`, 'r.deleted = 0'];
  params.push(...plan.resourceTypes);
  for (const p of plan.where) clauses.push(compilePredicate(p, params));
  return { sql: clauses.join(' AND '), params };
}

function compilePredicate(p: Predicate, params: Param[]): string {
  switch (p.kind) {
    case 'id':
      params.push(...p.ids);
      return `r.id IN (${p.ids.map(() => '?').join(', ')})`;
    case 'string': {
      params.push(p.code);
      if (p.match === 'exact') {
        params.push(p.value);
        return `r.rid IN (SELECT rid FROM idx_string WHERE resource_type = r.resource_type AND code = ? AND exact = ?)`;
      }
      if (p.match === 'contains') {
        params.push(`%${escapeLike(p.value)}%`);
        return `r.rid IN (SELECT rid FROM idx_string WHERE resource_type = r.resource_type AND code = ? AND value LIKE ? ESCAPE '\\')`;
      }
      // starts-with as a range on the folded value, so the B-tree index serves it
      params.push(p.value, `${p.value}\u{10FFFF}`);
      return `r.rid IN (SELECT rid FROM idx_string WHERE resource_type = r.resource_type AND code = ? AND value >= ? AND value < ?)`;
    }
    case 'token': {
      const conds = ['resource_type = r.resource_type', 'code = ?'];
      params.push(p.code);
      if (p.value !== undefined) {
        conds.push('value = ?');
        params.push(p.value);
      }
      if (p.system === null) conds.push('system IS NULL');
      else if (p.system !== undefined) {
        conds.push('system = ?');
        params.push(p.system);
      }
      return `r.rid IN (SELECT rid FROM idx_token WHERE ${conds.join(' AND ')})`;
    }
    case 'reference':
      if (p.reference === undefined) {
        params.push(p.code, p.targetId ?? '');
        return `r.rid IN (SELECT rid FROM idx_reference WHERE resource_type = r.resource_type AND code = ? AND target_id = ?)`;
      }
      params.push(p.code, p.reference);
      return `r.rid IN (SELECT rid FROM idx_reference WHERE resource_type = r.resource_type AND code = ? AND reference = ?)`;
    case 'uri':
      params.push(p.code, p.value);
      return `r.rid IN (SELECT rid FROM idx_uri WHERE resource_type = r.resource_type AND code = ? AND value = ?)`;
    case 'compartment':
      params.push(p.compartment);
      return `r.rid IN (SELECT rid FROM resource_compartment WHERE compartment = ?)`;
    case 'and':
      if (p.all.length === 0) return '1';
      return `(${p.all.map((q) => compilePredicate(q, params)).join(' AND ')})`;
    case 'or':
      if (p.any.length === 0) return '0';
      return `(${p.any.map((q) => compilePredicate(q, params)).join(' OR ')})`;
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

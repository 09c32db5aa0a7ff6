import { v7 as uuidv7 } from 'uuid';
import { matchCriteria } from '../search/run';
import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { Bundle, BundleEntry } from '../types';
import { assertValidId } from '../util';
import { afterEntry, breathe, entryRequest, type ParsedEntry } from './entries';
import { conditionalReferences, rewriteReferences } from './references';
import { entryFailure, responseEntry } from './responses';

type Route = (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

/** Processing order of the entries (http.html#trules): DELETE, POST, PUT/PATCH, then GET/HEAD. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/**
 * A transaction: all entries in one atomic store scope, dispatched through the ordinary router (so
 * every entry passes the access gate and the same rules as a single interaction). Any failure
 * undoes everything and is answered with one OperationOutcome naming the entry.
 */
export async function processTransaction(ctx: RequestContext, req: FhirRequest, entries: ParsedEntry[], route: Route): Promise<FhirResponse> {
  const responses: BundleEntry[] = new Array(entries.length);
  // each entry's event goes to the trail once the transaction's fate is known (rolled back or not)
  const ran: [FhirRequest, FhirResponse | undefined, unknown][] = [];
  try {
    await runEntries(ctx, req, entries, route, responses, ran);
  } catch (err) {
    for (const [sub, res, error] of ran) afterEntry(ctx, sub, res, error, true);
    throw err;
  }
  for (const [sub, res] of ran) afterEntry(ctx, sub, res, undefined);
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: responses };
  return { status: 200, resource: bundle };
}

async function runEntries(
  ctx: RequestContext,
  req: FhirRequest,
  entries: ParsedEntry[],
  route: Route,
  responses: BundleEntry[],
  ran: [FhirRequest, FhirResponse | undefined, unknown][]
): Promise<void> {
  await ctx.store.transaction(async (session) => {
    // the entries' own transaction(...) calls join this scope
    const tx: RequestContext = { ...ctx, store: session };
    const fullUrls = new Map<string, string>();
    const existing = new Map<number, FhirResponse>(); // conditional creates that matched
    const assigned = new Map<number, string>();

    // 1. identities: ids for creates, conditional creates and updates resolved up front
    for (const [position, e] of entries.entries()) {
      await breathe(position);
      await resolveIdentity(tx, e, fullUrls, assigned, existing);
    }
    checkDistinctTargets(entries, assigned);

    // 2. references between entries, then conditional references, everywhere in the resources
    for (const e of entries) {
      if (e.resource) rewriteReferences(e.resource, fullUrls);
      e.query = e.query.map(([k, v]) => [k, fullUrls.get(v) ?? v]);
    }
    for (const [position, e] of entries.entries()) {
      await breathe(position);
      if (e.resource) await resolveConditionalReferences(tx, e);
    }

    // 3. the entries, in processing order
    const order = [...entries].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
    for (const [position, e] of order.entries()) {
      await breathe(position);
      const sub = entryRequest(e, req);
      const done = existing.get(e.index);
      if (done) {
        ran.push([sub, done, undefined]);
        responses[e.index] = responseEntry(tx, done);
        continue;
      }
      sub.assignedId = assigned.get(e.index);
      try {
        const res = await route(tx, sub);
        ran.push([sub, res, undefined]);
        responses[e.index] = responseEntry(tx, res);
      } catch (err) {
        ran.push([sub, undefined, err]);
        throw entryFailure(e.index, e.method, [e.path.join('/'), new URLSearchParams(e.query).toString()].filter(Boolean).join('?'), err);
      }
    }
  });
}

async function resolveIdentity(
  tx: RequestContext,
  e: ParsedEntry,
  fullUrls: Map<string, string>,
  assigned: Map<number, string>,
  existing: Map<number, FhirResponse>
): Promise<void> {
  const [type, id] = e.path;
  if (e.method === 'POST' && e.path.length === 1) {
    let target = uuidv7();
    const criteria = e.headers['if-none-exist'];
    if (criteria) {
      const matches = await matchCriteria(tx, tx.store, type, criteria);
      if (matches.length > 1) throw failed(e, 'precondition-failed', `ifNoneExist matched more than one ${type}`);
      if (matches.length === 1) {
        target = matches[0].id;
        // answered as a single conditional create would be: 200 with the match, nothing written
        const m = matches[0];
        existing.set(e.index, { status: 200, version: { resourceType: type, id: m.id, versionId: m.versionId, lastUpdated: m.lastUpdated } });
      }
    }
    assigned.set(e.index, target);
    if (e.fullUrl) fullUrls.set(e.fullUrl, `${type}/${target}`);
  } else if (e.method === 'PUT' && e.path.length === 1 && e.query.length) {
    const matches = await matchCriteria(tx, tx.store, type, new URLSearchParams(e.query).toString());
    if (matches.length > 1) throw failed(e, 'precondition-failed', `The conditional update matched more than one ${type}`);
    const target = matches[0]?.id ?? (e.resource?.id as string | undefined) ?? uuidv7();
    if (matches.length === 1 && e.resource?.id !== undefined && e.resource.id !== target) {
      throw failed(e, 'invalid', `The resource id ${e.resource.id} differs from the matched ${type}/${target}`);
    }
    if (e.resource) e.resource.id = target;
    e.path = [type, target];
    e.query = [];
    if (e.fullUrl) fullUrls.set(e.fullUrl, `${type}/${target}`);
  } else if (e.method === 'PUT' && e.path.length === 2) {
    assertValidId(id);
    if (e.fullUrl) fullUrls.set(e.fullUrl, `${type}/${id}`);
  }
}

/** The same resource may not be the target of two writes in one transaction (REST-53). */
function checkDistinctTargets(entries: ParsedEntry[], assigned: Map<number, string>): void {
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (e.method === 'GET' || e.method === 'HEAD') continue;
    const target = e.method === 'POST' ? `${e.path[0]}/${assigned.get(e.index)}` : e.path.length === 2 ? e.path.join('/') : undefined;
    if (!target) continue;
    const first = seen.get(target);
    if (first !== undefined) {
      throw new FhirError('invalid', 'FHIR-0400-DUPLICATE', `Entries ${first} and ${e.index} both change ${target}`, {
        expression: `Bundle.entry[${e.index}]`,
      });
    }
    seen.set(target, e.index);
  }
}

async function resolveConditionalReferences(tx: RequestContext, e: ParsedEntry): Promise<void> {
  const found = new Map<string, string>();
  for (const ref of new Set(conditionalReferences(e.resource))) {
    const [type, criteria] = [ref.slice(0, ref.indexOf('?')), ref.slice(ref.indexOf('?') + 1)];
    if (!tx.registry.isResourceType(type)) throw failed(e, 'invalid', `Conditional reference ${ref} names an unknown type`);
    const matches = await matchCriteria(tx, tx.store, type, criteria);
    if (matches.length !== 1) {
      throw failed(e, 'precondition-failed', `Conditional reference ${ref} matched ${matches.length === 0 ? 'nothing' : 'more than one resource'}; it must match exactly one`);
    }
    found.set(ref, `${type}/${matches[0].id}`);
  }
  rewriteReferences(e.resource, found);
}

function failed(e: ParsedEntry, category: 'invalid' | 'precondition-failed', message: string): FhirError {
  return new FhirError(category, category === 'invalid' ? 'FHIR-0400-ENTRY' : 'FHIR-0412-ENTRY', `Transaction failed at entry ${e.index}: ${message}`, {
    expression: `Bundle.entry[${e.index}]`,
  });
}

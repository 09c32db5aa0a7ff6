import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { FhirError } from '../errors';
import type { Bundle } from '../types';
import { afterEntry, breathe, entryRequest, type ParsedEntry } from './entries';
import { mentionsAny } from './references';
import { errorEntry, responseEntry } from './responses';

type Route = (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

/**
 * A batch: each entry on its own, through the ordinary router, in the order given; one failing
 * entry fails only itself. Entries may not refer to each other (REST-49): such an entry is refused.
 */
export async function processBatch(ctx: RequestContext, req: FhirRequest, entries: ParsedEntry[], route: Route): Promise<FhirResponse> {
  const fullUrls = new Set(entries.map((e) => e.fullUrl).filter((u): u is string => !!u && /^urn:(uuid|oid):/.test(u)));
  const out: Bundle = { resourceType: 'Bundle', type: 'batch-response', entry: [] };
  for (const [position, e] of entries.entries()) {
    await breathe(position);
    let sub: FhirRequest | undefined;
    try {
      const named = mentionsAny(e.resource, fullUrls);
      if (named) {
        throw new FhirError('invalid', 'FHIR-0400-BATCHREF', `Entry ${e.index} refers to ${named}, another entry of the batch; use a transaction for entries that depend on each other`);
      }
      sub = entryRequest(e, req);
      const res = await route(ctx, sub);
      afterEntry(ctx, sub, res, undefined);
      out.entry?.push(responseEntry(ctx, res));
    } catch (err) {
      afterEntry(ctx, sub ?? { method: e.method, path: e.path, query: e.query, headers: {}, clientAddress: req.clientAddress }, undefined, err);
      out.entry?.push(errorEntry(ctx, err));
    }
  }
  return { status: 200, resource: out };
}

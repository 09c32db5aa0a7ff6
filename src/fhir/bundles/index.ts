import type { FhirRequest, FhirResponse, RequestContext } from '../context';
import { processBatch } from './batch';
import { parseBundleEntries } from './entries';
import { processTransaction } from './transaction';

type Route = (ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

/** POST [base] with a batch or transaction Bundle (http.html#transaction). */
export function bundleHandler(route: () => Route) {
  return async function handleBundle(ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
    const { type, entries } = parseBundleEntries(req.body, [ctx.baseUrl, ctx.config.baseUrl]);
    return type === 'transaction' ? processTransaction(ctx, req, entries, route()) : processBatch(ctx, req, entries, route());
  };
}

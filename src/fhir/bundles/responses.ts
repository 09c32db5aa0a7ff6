import { STATUS_CODES } from 'node:http';
import type { FhirResponse, RequestContext } from '../context';
import { FhirError, internalErrorOutcome, isFhirError } from '../errors';
import type { BundleEntry, Resource } from '../types';

/** The entry of a batch-response / transaction-response for one answered sub-request. */
export function responseEntry(ctx: RequestContext, res: FhirResponse): BundleEntry {
  const v = res.version;
  const entry: BundleEntry = {
    ...(v ? { fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}` } : {}),
    response: {
      status: statusLine(res.status),
      ...(v ? { location: `${v.resourceType}/${v.id}/_history/${v.versionId}`, etag: `W/"${v.versionId}"`, lastModified: v.lastUpdated } : {}),
      ...(!v && res.headers?.ETag ? { etag: res.headers.ETag } : {}),
    },
  };
  const body = res.resource ?? (res.json !== undefined ? (JSON.parse(res.json) as Resource) : undefined);
  if (body?.resourceType === 'OperationOutcome' && res.status < 300 && entry.response) entry.response.outcome = body;
  else if (body) entry.resource = body;
  return entry;
}

/** The entry for a sub-request of a batch that failed: its status and OperationOutcome. */
export function errorEntry(ctx: RequestContext, err: unknown): BundleEntry {
  if (isFhirError(err)) return { response: { status: statusLine(err.status), outcome: err.toOperationOutcome() } };
  ctx.log.error({ err }, 'batch entry failed unexpectedly');
  return { response: { status: statusLine(500), outcome: internalErrorOutcome(ctx.requestId) } };
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

/** Re-raises an entry's failure naming the entry, for the single OperationOutcome of a failed transaction. */
export function entryFailure(index: number, method: string, url: string, err: unknown): unknown {
  if (!isFhirError(err)) return err;
  return new FhirError(
    err.category,
    err.errorCode,
    err.issues.map((i) => ({
      ...i,
      diagnostics: `Transaction failed at entry ${index} (${method} ${url}): ${i.diagnostics}`,
      expression: i.expression ? `Bundle.entry[${index}].resource.${i.expression.replace(/^[A-Z][A-Za-z]+\./, '')}` : `Bundle.entry[${index}]`,
    })),
    { headers: err.headers }
  );
}

import type { VersionRecord } from '../storage/port';
import type { FhirRequest, FhirResponse, RequestContext } from './context';
import { informationOutcome } from './errors';
import { preferReturn, versionHeaders } from './util';

/** The answer to a successful write, shaped by Prefer: return=minimal|representation|OperationOutcome. */
export function writeResponse(ctx: RequestContext, req: FhirRequest, record: VersionRecord, status: number): FhirResponse {
  const headers: Record<string, string> = {
    ...versionHeaders(record),
    Location: `${ctx.baseUrl}/${record.resourceType}/${record.id}/_history/${record.versionId}`,
  };
  const version = { resourceType: record.resourceType, id: record.id, versionId: record.versionId, lastUpdated: record.lastUpdated };
  switch (preferReturn(req.headers)) {
    case 'minimal':
      return { status, headers, version };
    case 'OperationOutcome':
      return {
        status,
        headers,
        version,
        resource: informationOutcome(`${status === 201 ? 'Created' : 'Updated'} ${record.resourceType}/${record.id} version ${record.versionId}`),
      };
    default:
      return { status, headers, version, json: record.json };
  }
}

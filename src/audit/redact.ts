import type { AuditEvent } from '../fhir/types';
import type { VersionRecord } from '../storage/port';

export const AUDIT_TYPE = 'AuditEvent';

/** object-role 24: the entity that carries a search's query string (BALP). */
const QUERY_ROLE = '24';

/**
 * An AuditEvent as a confined grant may see it: without the query strings of searches (entity of
 * role 24 Query) unless `user` made them. A query names what someone looked for, often about other
 * people ("family=Li"), so a person reading their own log sees that a search happened, by whom,
 * when and from where, but not what it asked.
 */
export function redactQueries(record: VersionRecord, user: string | undefined): VersionRecord {
  if (!record.json || !record.json.includes('"query"')) return record;
  const event = JSON.parse(record.json) as AuditEvent;
  const own = !!user && event.agent?.some((a) => a.requestor && a.who?.reference === user);
  if (own || !event.entity?.some((e) => e.query !== undefined)) return record;
  event.entity = event.entity.flatMap((e) => {
    if (e.role?.code === QUERY_ROLE) return [];
    if (e.query === undefined) return [e];
    const { query: _hidden, ...rest } = e;
    return [rest];
  });
  if (event.entity.length === 0) delete event.entity;
  return { ...record, json: JSON.stringify(event) };
}

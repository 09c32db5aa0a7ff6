import type { TokenGrants } from '../guard/from-token';
import type { WriteContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import type { Extension, Resource, Subscription } from '../fhir/types';
import type { Predicate } from '../search/plan';
import { compileCriteria, type Topic, type TopicRegistry } from './topics';

/** The Subscriptions R5 Backport IG's canonicals (STU 1.1). */
export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const BACKPORT_PROFILE = `${BACKPORT}/backport-subscription`;
const FILTER = `${BACKPORT}/backport-filter-criteria`;
const CONTENT = `${BACKPORT}/backport-payload-content`;
const HEARTBEAT = `${BACKPORT}/backport-heartbeat-period`;
const TIMEOUT = `${BACKPORT}/backport-timeout`;
const MAX_COUNT = `${BACKPORT}/backport-max-count`;
export const OWNER = 'http://insured.example.org/fhir/StructureDefinition/subscription-owner';
/** The name of the server's own context that changes subscriptions' status. */
export const SUBSCRIPTIONS_SYSTEM = 'subscriptions';

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

/** Who created (or last changed) a subscription: what rebuilds the grant its notifications are bound to. */
export type Owner = (TokenGrants & { system?: undefined }) | { system: string; clientId?: undefined };

export interface ParsedSubscription {
  id: string;
  status: 'requested' | 'active' | 'error' | 'off';
  /** A topic canonical (backport) or, for classic R4 criteria, the criteria themselves. */
  topicUrl: string;
  topic?: Topic;
  /** Classic R4 criteria: one resource type and its search. */
  classic?: { resourceType: string; where: Predicate[] };
  /** Filter criteria per resource type (backport-filter-criteria). */
  filters: Map<string, Predicate[]>;
  /** The patient compartment every event of this subscription is in, when one is known up front (for indexing). */
  patientKey?: string;
  endpoint: string;
  headers: [string, string][];
  payload?: string;
  content: PayloadContent;
  heartbeatSeconds?: number;
  timeoutSeconds?: number;
  maxCount: number;
  owner: Owner;
}

type Deps = Pick<WriteContext, 'registry' | 'config' | 'baseUrl'> & { topics: TopicRegistry };

const unsupported = (code: string, message: string, expression: string) =>
  new FhirError('unprocessable', `FHIR-0422-SUBSCRIPTION-${code}`, message, { expression: `Subscription.${expression}` });

const extValue = (exts: Extension[] | undefined, url: string) => exts?.find((e) => e.url === url);
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Reads a Subscription as the server will serve it, refusing (422) what it cannot honour: an unknown
 * topic, a channel other than rest-hook, a payload type other than FHIR JSON, a content code outside
 * the IG's, filters on parameters the topic does not offer or that need other resources to judge.
 */
export function parseSubscription(deps: Deps, s: Subscription): ParsedSubscription {
  const criteria = (s.criteria ?? '').trim();
  const backport = (s.meta?.profile ?? []).some((p) => p.split('|')[0] === BACKPORT_PROFILE) || /^https?:\/\//.test(criteria);
  let topic: Topic | undefined;
  let classic: ParsedSubscription['classic'];
  const filters = new Map<string, Predicate[]>();
  let patientKey: string | undefined;
  if (backport) {
    topic = deps.topics.get(criteria);
    if (!topic) throw unsupported('TOPIC', `This server offers no SubscriptionTopic ${criteria || '(none given)'}; GET Basic?code=SubscriptionTopic lists those it offers`, 'criteria');
    for (const f of ((s as { _criteria?: { extension?: Extension[] } })._criteria?.extension ?? []).filter((e) => e.url === FILTER)) {
      const text = String(f.valueString ?? '');
      const q = text.indexOf('?');
      const type = q < 0 ? text : text.slice(0, q);
      const query = q < 0 ? '' : text.slice(q + 1);
      const allowed = topic.filters.get(type);
      if (!allowed) throw unsupported('FILTER', `Topic ${topic.url} takes no filters on ${type || '(no type)'}`, 'criteria.extension');
      for (const [name] of new URLSearchParams(query)) {
        if (!allowed.has(name)) throw unsupported('FILTER', `Topic ${topic.url} cannot filter ${type} by ${name}; it offers ${[...allowed].join(', ')}`, 'criteria.extension');
      }
      try {
        filters.set(type, [...(filters.get(type) ?? []), ...compileCriteria(deps, type, query)]);
      } catch (err) {
        throw unsupported('FILTER', `Filter "${text}" cannot be used: ${(err as Error).message}`, 'criteria.extension');
      }
      patientKey ??= patientOf(query);
    }
  } else {
    const m = /^([A-Z][A-Za-z]+)(?:\?(.*))?$/.exec(criteria);
    if (!m || !deps.registry.isResourceType(m[1])) throw unsupported('CRITERIA', 'Subscription.criteria must be a topic canonical or a search URL such as Observation?code=...', 'criteria');
    try {
      classic = { resourceType: m[1], where: compileCriteria(deps, m[1], m[2] ?? '') };
    } catch (err) {
      throw unsupported('CRITERIA', `Criteria "${criteria}" cannot be used: ${(err as Error).message}`, 'criteria');
    }
    patientKey = patientOf(m[2] ?? '');
  }

  const channel = s.channel ?? ({} as Subscription['channel']);
  if (channel.type !== 'rest-hook') throw unsupported('CHANNEL', `Channel type ${channel.type ?? '(none)'} is not supported; use rest-hook`, 'channel.type');
  let endpoint: URL;
  try {
    endpoint = new URL(channel.endpoint ?? '');
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error();
  } catch {
    throw unsupported('ENDPOINT', 'A rest-hook channel needs an absolute http(s) endpoint', 'channel.endpoint');
  }
  // health data leaves the server only encrypted, to an endpoint named by URL alone (a secret goes in channel.header)
  const problem = endpointProblem(endpoint);
  if (problem) throw unsupported('ENDPOINT', problem, 'channel.endpoint');
  const payload = channel.payload;
  if (payload !== undefined && !['application/fhir+json', 'application/json'].includes(payload)) {
    throw unsupported('PAYLOAD', `Payload type ${payload} is not supported; use application/fhir+json`, 'channel.payload');
  }
  const contentExt = extValue((channel as { _payload?: { extension?: Extension[] } })._payload?.extension, CONTENT);
  const content = (payload === undefined ? 'empty' : (contentExt?.valueCode ?? (backport ? 'id-only' : 'full-resource'))) as PayloadContent;
  if (!['empty', 'id-only', 'full-resource'].includes(content)) throw unsupported('CONTENT', `Payload content ${content} is not one of empty, id-only, full-resource`, 'channel.payload.extension');
  const headers = (channel.header ?? []).map((h): [string, string] => {
    const i = h.indexOf(':');
    const name = i < 0 ? '' : h.slice(0, i).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n]/.test(h)) throw unsupported('HEADER', `Channel header "${h.slice(0, 40)}" is not "Name: value"`, 'channel.header');
    return [name, h.slice(i + 1).trim()];
  });
  const num = (url: string, min: number) => {
    const e = extValue(channel.extension, url);
    const v = (e?.valueUnsignedInt ?? e?.valuePositiveInt) as number | undefined;
    if (v !== undefined && (!Number.isInteger(v) || v < min)) throw unsupported('CHANNEL', `${url.split('/').pop()} must be an integer of at least ${min}`, 'channel.extension');
    return v;
  };
  const status = s.status as ParsedSubscription['status'];
  return {
    id: s.id as string,
    status,
    topicUrl: topic?.url ?? criteria,
    topic,
    classic,
    filters,
    patientKey,
    endpoint: endpoint.toString(),
    headers,
    payload,
    content,
    heartbeatSeconds: num(HEARTBEAT, 1),
    timeoutSeconds: num(TIMEOUT, 1),
    maxCount: num(MAX_COUNT, 1) ?? 1,
    owner: ownerOf(s),
  };
}

/** `patient=Patient/1` or `patient=1` (one value): the compartment every match is in. */
function patientOf(query: string): string | undefined {
  const params = new URLSearchParams(query);
  for (const name of ['patient', 'subject']) {
    const values = params.getAll(name);
    if (values.length !== 1 || values[0].includes(',')) continue;
    const m = /^(?:Patient\/)?([A-Za-z0-9\-.]{1,64})$/.exec(values[0]);
    if (m && ID.test(m[1]) && (name === 'patient' || values[0].startsWith('Patient/'))) return `Patient/${m[1]}`;
  }
  return undefined;
}

export function ownerOf(s: Subscription): Owner {
  const ext = extValue(s.extension, OWNER)?.extension ?? [];
  const get = (name: string) => ext.find((e) => e.url === name)?.valueString;
  const system = get('system');
  if (system || !get('client')) return { system: system ?? 'unknown' };
  return { clientId: get('client') as string, scope: get('scope') ?? '', patient: get('patient'), fhirUser: get('fhirUser'), family: get('family') };
}

function ownerExtension(owner: Owner): Extension {
  const t = owner as TokenGrants;
  const parts: [string, string | undefined][] = owner.system
    ? [['system', owner.system]]
    : [
        ['client', t.clientId],
        ['scope', t.scope],
        ['patient', t.patient],
        ['fhirUser', t.fhirUser],
        ['family', t.family],
      ];
  return { url: OWNER, extension: parts.filter(([, v]) => v !== undefined).map(([url, valueString]) => ({ url, valueString })) };
}

/**
 * The beforeStore hook of Subscriptions: binds each stored Subscription to the grant of the token that
 * writes it (whatever the client sent as owner is replaced; the server's own status changes keep it),
 * refuses what the server cannot honour, and holds a requested or active one as `requested` until its
 * handshake succeeds.
 */
export function subscriptionHook(topics: () => TopicRegistry) {
  return (ctx: WriteContext, resource: Resource): void => {
    if (resource.resourceType !== 'Subscription') return;
    const s = resource as Subscription;
    const grant = ctx.store?.grant;
    const own = grant?.subject.system === SUBSCRIPTIONS_SYSTEM;
    if (!own) {
      const owner: Owner = grant?.token ? { ...grant.token } : { system: grant?.subject.system ?? 'unknown' };
      delete (owner as TokenGrants).administrator;
      s.extension = [...(s.extension ?? []).filter((e) => e.url !== OWNER), ownerExtension(owner)];
      if (s.status === 'active') s.status = 'requested';
      if (s.status === 'error') throw unsupported('STATUS', 'Only the server sets a subscription to error', 'status');
      delete s.error;
    }
    parseSubscription({ ...ctx, topics: topics() }, s);
  };
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or http on this machine only; no credentials or fragment in the URL. */
function endpointProblem(url: URL): string | undefined {
  if (url.username || url.password) return 'The endpoint carries credentials; send them in channel.header instead';
  if (url.hash) return 'The endpoint has a fragment';
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) return 'A rest-hook endpoint must use https (http only on 127.0.0.1, [::1] or localhost)';
  return undefined;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOPIC_OBSERVATION = 'http://insured.example.org/fhir/SubscriptionTopic/observation';
export const TOPIC_ENCOUNTER_START = 'http://insured.example.org/fhir/SubscriptionTopic/encounter-start';
export const TOPIC_HEALTH_ALERT = 'http://insured.example.org/fhir/SubscriptionTopic/health-alert';
export const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

/** Short schedules so tests see retries, heartbeats and errors within seconds. */
export const FAST = {
  SUBSCRIPTION_POLL_MS: '50',
  SUBSCRIPTION_RETRY_BASE_MS: '50',
  SUBSCRIPTION_RETRY_MAX_MS: '200',
  SUBSCRIPTION_TIMEOUT_MS: '2000',
};

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** A notification receiver on 127.0.0.1 (port 0); `status` decides each answer (2xx: accepted). */
export async function startReceiver(status: (r: Received, n: number) => number = () => 200, delayMs: (n: number) => number = () => 0) {
  const received: Received[] = [];
  const accepted: Received[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: data ? JSON.parse(data) : undefined };
      received.push(r);
      const code = status(r, received.length);
      setTimeout(() => {
        if (code >= 200 && code < 300) accepted.push(r);
        res.writeHead(code).end();
      }, delayMs(received.length));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The SubscriptionStatus (first entry) of a notification Bundle, as name -> value. */
export function statusOf(bundle: any): Record<string, any> {
  const params = bundle.entry[0].resource.parameter as any[];
  const out: Record<string, any> = {};
  for (const p of params) {
    if (p.name === 'notification-event') (out.events ??= []).push(Object.fromEntries(p.part.map((x: any) => [x.name, x.valueString ?? x.valueInstant ?? x.valueReference?.reference])));
    else out[p.name] = p.valueReference?.reference ?? p.valueCanonical ?? p.valueCode ?? p.valueString ?? p.valueCodeableConcept?.text;
  }
  return out;
}

export const eventNumbers = (rs: Received[]) => rs.filter((r) => r.body && statusOf(r.body).type === 'event-notification').flatMap((r) => statusOf(r.body).events.map((e: any) => Number(e['event-number'])));

export function backportSubscription(endpoint: string, opts: { topic?: string; filters?: string[]; content?: string; payload?: string | null; heartbeat?: number; maxCount?: number; headers?: string[] } = {}) {
  const channelExt = [
    ...(opts.heartbeat ? [{ url: `${BACKPORT}/backport-heartbeat-period`, valueUnsignedInt: opts.heartbeat }] : []),
    ...(opts.maxCount ? [{ url: `${BACKPORT}/backport-max-count`, valuePositiveInt: opts.maxCount }] : []),
    { url: `${BACKPORT}/backport-timeout`, valueUnsignedInt: 5 },
  ];
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BACKPORT}/backport-subscription`] },
    status: 'requested',
    reason: 'test',
    criteria: opts.topic ?? TOPIC_OBSERVATION,
    ...(opts.filters ? { _criteria: { extension: opts.filters.map((f) => ({ url: `${BACKPORT}/backport-filter-criteria`, valueString: f })) } } : {}),
    channel: {
      extension: channelExt,
      type: 'rest-hook',
      endpoint,
      ...(opts.payload === null ? {} : { payload: opts.payload ?? 'application/fhir+json' }),
      ...(opts.content ? { _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: opts.content }] } } : {}),
      ...(opts.headers ? { header: opts.headers } : {}),
    },
  };
}

export const observation = (patient: string, code = '8867-4', value = 72) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

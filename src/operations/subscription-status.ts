import type { FhirRequest, RequestContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import { notFound } from '../guard/guarded-store';
import type { Bundle, Resource, Subscription } from '../fhir/types';
import type { SubscriptionService } from '../subscriptions/service';
import { notificationBundle, subscriptionStatus } from '../subscriptions/notification';
import type { PayloadContent } from '../subscriptions/subscription';
import type { OperationHandler } from './registry';

const OPERATIONS = 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition';
const EVENTS_PAGE = 100;

/** The Subscription as the caller may read it (the guarded store decides; hidden and unknown are one 404). */
async function readable(ctx: RequestContext, id: string): Promise<Subscription> {
  const v = await ctx.store.read('Subscription', id);
  if (!v?.json || v.deleted) throw notFound('Subscription', id);
  return JSON.parse(v.json) as Subscription;
}

function params(req: FhirRequest): URLSearchParams {
  const q = new URLSearchParams(req.query);
  const body = req.body as { resourceType?: string; parameter?: { name: string; valueString?: string; valueCode?: string; valueId?: string; valueUnsignedInt?: number }[] } | undefined;
  for (const p of body?.resourceType === 'Parameters' ? (body.parameter ?? []) : []) q.append(p.name, String(p.valueString ?? p.valueCode ?? p.valueId ?? p.valueUnsignedInt ?? ''));
  return q;
}

/** Subscription/$status (backport-subscription-status): a searchset of SubscriptionStatus, at instance or type level (`id`). */
export function subscriptionStatusOperation(service: SubscriptionService): OperationHandler {
  return {
    code: 'status',
    definition: `${OPERATIONS}/backport-subscription-status`,
    resourceTypes: ['Subscription'],
    type: true,
    instance: true,
    affectsState: false,
    async handle(ctx, req, target) {
      const ids = target.id ? [target.id] : params(req).getAll('id').flatMap((v) => v.split(','));
      if (ids.length === 0) throw new FhirError('invalid', 'FHIR-0400-STATUS-ID', 'Subscription/$status needs an id (Subscription/[id]/$status or ?id=)');
      const entry: Bundle['entry'] = [];
      for (const id of ids) {
        const s = await readable(ctx, id);
        const { state } = await service.status(id);
        const status = subscriptionStatus({
          baseUrl: ctx.baseUrl,
          subscription: id,
          topic: s.criteria ?? '',
          status: s.status,
          type: 'query-status',
          eventsSinceStart: state.eventCount,
          content: 'empty',
          events: [],
          error: s.error ?? state.lastError,
        });
        entry.push({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: status, search: { mode: 'match' } });
      }
      return { status: 200, resource: { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry } as Resource };
    },
  };
}

/** Subscription/$events (backport-subscription-events): recorded events by number, with their focus as the caller may read it. */
export function subscriptionEventsOperation(service: SubscriptionService): OperationHandler {
  return {
    code: 'events',
    definition: `${OPERATIONS}/backport-subscription-events`,
    resourceTypes: ['Subscription'],
    instance: true,
    affectsState: false,
    async handle(ctx, req, target) {
      const id = target.id as string;
      const s = await readable(ctx, id);
      const q = params(req);
      const { entry, state } = await service.status(id);
      const number = (name: string, fallback: number) => {
        const raw = q.get(name);
        if (raw === null || raw === '') return fallback;
        if (!/^\d{1,15}$/.test(raw)) throw new FhirError('invalid', 'FHIR-0400-EVENTS', `${name} must be a non-negative integer`);
        return Number(raw);
      };
      const until = number('eventsUntilNumber', state.eventCount);
      const since = number('eventsSinceNumber', Math.max(1, until - EVENTS_PAGE + 1));
      const content = (q.get('content') ?? entry?.parsed.content ?? 'id-only') as PayloadContent;
      if (!['empty', 'id-only', 'full-resource'].includes(content)) throw new FhirError('invalid', 'FHIR-0400-EVENTS', 'content must be empty, id-only or full-resource');
      const events = await service.events(id, since - 1, until, EVENTS_PAGE);
      const withContent = await Promise.all(
        events.map(async (event) => {
          if (content !== 'full-resource' || event.method === 'DELETE') return { event };
          const v = await ctx.store.vread(event.resourceType, event.id, event.versionId).catch(() => undefined);
          return { event, resource: v?.json ? (JSON.parse(v.json) as Resource) : undefined };
        })
      );
      const bundle = notificationBundle({
        baseUrl: ctx.baseUrl,
        subscription: id,
        topic: s.criteria ?? '',
        status: s.status,
        type: 'query-event',
        eventsSinceStart: state.eventCount,
        content,
        events: withContent,
      });
      return { status: 200, resource: bundle };
    },
  };
}

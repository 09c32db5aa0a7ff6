import type { Logger } from 'pino';
import { upsertResources } from '../bulk/loader';
import { patientCompartments } from '../fhir/compartments';
import type { ServerContext } from '../fhir/context';
import type { Resource, Subscription } from '../fhir/types';
import { prepareVersion } from '../fhir/write';
import { grantResolver, type TokenGrants } from '../guard/from-token';
import { systemGrant, type Grant } from '../guard/grant';
import { GuardedStore } from '../guard/guarded-store';
import { matches, type IndexedVersion } from '../guard/match';
import { extractIndexRows } from '../search/extract';
import { emptyState, type DeliveryEvent, type DeliveryProgress, type DeliveryState, type DeliveryStore, type NewDeliveryEvent } from '../storage/delivery-port';
import type { Store, VersionRecord } from '../storage/port';
import type { NotificationSent } from '../audit/notification-event';
import { ChannelError, EndpointLimiter, send, type ChannelRequest } from './channel';
import { SubscriptionIndex, type Entry } from './index-by-topic';
import { notificationBundle, type NotificationType } from './notification';
import { parseSubscription, SUBSCRIPTIONS_SYSTEM } from './subscription';
import { fires, type TopicRegistry } from './topics';
import { recordSent } from './record-sent';
import { afterFailure } from './retry';
import { CoalescingWorker } from '../workers/coalescing';

/** Versions of the log matched per step. */
const PAGE = 200;
/** How long a rebuilt owner grant is reused (the user's relations may change). */
const GRANT_TTL_MS = 30_000;

export interface SubscriptionServiceDeps {
  ctx: ServerContext;
  store: Store;
  deliveries: DeliveryStore;
  topics: TopicRegistry;
  log: Logger;
  /** Authorization is off (FHIR_AUTH=none): subscriptions made then are served with everything. */
  authOff: boolean;
  /** Whether the owner's client is still registered and its token family not revoked. */
  ownerAuthorized?: (owner: TokenGrants) => boolean;
  /** Told of every notification sent, accepted or not (the audit trail); never throws. */
  onSent?: (sent: NotificationSent) => void;
  /** Whether a notification sent now could be recorded; while not, nothing is sent (it waits, unspent). */
  recordable?: () => boolean;
}

/**
 * Topic-based and classic subscriptions (DESIGN.md decision 12). The store's version log is the event
 * log: the matcher reads it above the position kept in the delivery store, judges each version against
 * the topics of its type and the subscriptions indexed under them (their filters and their owner's grant,
 * on the version's index rows, without a query), and records the matched events with that position in
 * one step. Deliverers send them in order per subscription, at least once, with exponential backoff,
 * a timeout and a bound per endpoint; nothing of it is on the write path, and a restart resumes from
 * the delivery store.
 */
export class SubscriptionService {
  private readonly index = new SubscriptionIndex();
  private readonly states = new Map<string, DeliveryState>();
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly limiter: EndpointLimiter;
  private readonly resolve: ReturnType<typeof grantResolver>;
  private readonly system: GuardedStore;
  private timer: NodeJS.Timeout | undefined;
  private readonly matcher = new CoalescingWorker(
    () => this.matchStep(),
    (err) => this.deps.log.error({ err }, 'subscription matching failed; it resumes from its last position'),
    () => this.dispatch()
  );

  constructor(private readonly deps: SubscriptionServiceDeps) {
    const { ctx, store } = deps;
    this.limiter = new EndpointLimiter(ctx.config.subscriptions.perEndpoint);
    this.resolve = grantResolver({ registry: ctx.registry, config: ctx.config, baseUrl: ctx.baseUrl, store });
    this.system = GuardedStore.system({ main: store }, SUBSCRIPTIONS_SYSTEM, ctx);
  }

  get topics(): TopicRegistry {
    return this.deps.topics;
  }

  /** Stores the guide's topics (served as Basic), loads subscriptions and delivery states, and starts the workers. */
  async start(): Promise<void> {
    const { ctx, store, deliveries, log } = this.deps;
    const topics = this.deps.topics.all().map((t) => t.resource as Resource);
    await upsertResources({ ...ctx, requestId: 'startup', store: GuardedStore.system({ main: store }, 'subscription-topics', ctx), log }, topics);
    for (const s of await deliveries.states()) this.states.set(s.subscription, s);
    let after: string | undefined;
    do {
      const page = await store.search({ resourceTypes: ['Subscription'], where: [], count: 500, total: 'none', after });
      for (const r of page.records) await this.applySubscription(r);
      after = page.next;
    } while (after);
    this.timer = setInterval(() => this.nudge(), ctx.config.subscriptions.pollMs);
    this.timer.unref();
    this.nudge();
  }

  /** Wakes the workers (after a write; they also run on a timer). */
  nudge(): void {
    this.matcher.wake();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.matcher.close();
    await Promise.allSettled([...this.inflight]);
    await this.deps.deliveries.close();
  }

  /** A subscription's parsed form and delivery state (for $status and $events). */
  async status(id: string): Promise<{ entry?: Entry; state: DeliveryState }> {
    return { entry: this.index.entries.get(id), state: await this.deps.deliveries.state(id) };
  }

  events(id: string, after: number, until: number, limit: number): Promise<DeliveryEvent[]> {
    return this.deps.deliveries.events(id, after, until, limit);
  }

  // ---- matching ----

  /** Matches the next page of the log; true when more versions follow. */
  private async matchStep(): Promise<boolean> {
    const { store, deliveries } = this.deps;
    const through = await deliveries.matchedThrough();
    const top = await store.currentStoreVersion();
    if (top <= through) return false;
    // newest first below a bound: at most PAGE versions lie above the position and below the bound
    const upTo = Math.min(top, through + PAGE);
    const page = (await store.history({ maxStoreVersion: upTo, count: PAGE })).filter((v) => v.storeVersion > through).reverse();
    const events: NewDeliveryEvent[] = [];
    for (const v of page) events.push(...(await this.matchVersion(v)));
    for (const e of await deliveries.record(events, upTo)) {
      const s = this.stateOf(e.subscription);
      this.states.set(e.subscription, { ...s, eventCount: Math.max(s.eventCount, e.eventNumber) });
    }
    return upTo < top;
  }

  private async matchVersion(v: VersionRecord): Promise<NewDeliveryEvent[]> {
    if (v.resourceType === 'Subscription') await this.applySubscription(v);
    const triggers = this.deps.topics.triggersFor(v.resourceType);
    const classic = `classic:${v.resourceType}`;
    if (triggers.length === 0 && this.index.candidates(classic, []).length === 0 && !this.index.hasKeyed(classic)) return [];
    const n = Number(v.versionId);
    const prior = n > 1 ? await this.deps.store.readVersion(v.resourceType, v.id, String(n - 1)) : undefined;
    const previous = prior?.json && !prior.deleted ? this.indexed(prior) : undefined;
    const current = v.json && !v.deleted ? this.indexed(v) : undefined;
    const interaction = v.deleted ? 'delete' : !previous ? 'create' : 'update';
    const content = current ?? previous;
    if (!content) return [];
    const out = new Map<string, NewDeliveryEvent>();
    const event = (entry: Entry, topic: string): NewDeliveryEvent => ({
      subscription: entry.parsed.id,
      topic,
      storeVersion: v.storeVersion,
      resourceType: v.resourceType,
      id: v.id,
      versionId: v.versionId,
      timestamp: v.lastUpdated,
      method: v.method,
    });
    for (const { topic, trigger } of triggers) {
      if (!fires(trigger, interaction, previous, current)) continue;
      for (const entry of this.index.candidates(topic.url, content.compartments)) {
        if (!out.has(entry.parsed.id) && (await this.concerns(entry, v, content))) out.set(entry.parsed.id, event(entry, topic.url));
      }
    }
    if (current) {
      for (const entry of this.index.candidates(classic, current.compartments)) {
        if (matches(entry.parsed.classic?.where ?? [], current) && (await this.concerns(entry, v, current))) out.set(entry.parsed.id, event(entry, entry.parsed.topicUrl));
      }
    }
    return [...out.values()];
  }

  /** Whether a version is an event of the subscription: after its start, through its filters, and visible to its owner's grant. */
  private async concerns(entry: Entry, v: VersionRecord, content: IndexedVersion): Promise<boolean> {
    const p = entry.parsed;
    if ((p.status !== 'requested' && p.status !== 'active') || v.storeVersion <= entry.startStoreVersion) return false;
    const filter = p.filters.get(v.resourceType);
    if (filter && !matches(filter, content)) return false;
    const grant = await this.grantOf(entry);
    const where = grant?.predicates('r', v.resourceType);
    return !!where && matches(where, content);
  }

  private indexed(v: VersionRecord): IndexedVersion {
    const { registry, baseUrl } = this.deps.ctx;
    const resource = JSON.parse(v.json as string) as Resource;
    const index = extractIndexRows(registry, resource, baseUrl);
    return { resourceType: v.resourceType, id: v.id, index, compartments: patientCompartments(registry, resource, index) };
  }

  /** The grant of the token that made the subscription, rebuilt (and reused briefly); null when it no longer holds. */
  private async grantOf(entry: Entry): Promise<Grant | null> {
    if (entry.grant && entry.grant.until > Date.now()) return entry.grant.value;
    const owner = entry.parsed.owner;
    let value: Grant | null;
    if (owner.system !== undefined) value = this.deps.authOff ? systemGrant(`subscription-owner:${owner.system}`) : null;
    else value = await this.resolve(owner).catch(() => null);
    entry.grant = { value, until: Date.now() + GRANT_TTL_MS };
    return value;
  }

  private authorized(entry: Entry): boolean {
    const owner = entry.parsed.owner;
    if (owner.system !== undefined) return this.deps.authOff;
    return this.deps.ownerAuthorized?.(owner) ?? true;
  }

  /** Takes a Subscription version into the index (a newer one than held), or drops a deleted or unreadable one. */
  private async applySubscription(v: VersionRecord): Promise<void> {
    const held = this.index.entries.get(v.id);
    if (held && held.storeVersion >= v.storeVersion) return;
    if (v.deleted || !v.json) return this.index.remove(v.id);
    const start = held?.startStoreVersion ?? (v.versionId === '1' ? v.storeVersion : (await this.deps.store.readVersion('Subscription', v.id, '1'))?.storeVersion ?? v.storeVersion);
    try {
      const parsed = parseSubscription({ ...this.deps.ctx, topics: this.deps.topics }, JSON.parse(v.json) as Subscription);
      this.index.put({ parsed, versionId: v.versionId, storeVersion: v.storeVersion, startStoreVersion: start });
    } catch (err) {
      this.deps.log.warn({ err, subscription: v.id }, 'a stored Subscription cannot be served');
      this.index.remove(v.id);
    }
  }

  // ---- delivery ----

  private stateOf(id: string): DeliveryState {
    return this.states.get(id) ?? emptyState(id);
  }

  /** Starts what is due: handshakes, the next events of each subscription (one request at a time each), heartbeats. */
  private dispatch(): void {
    const now = Date.now();
    for (const entry of this.index.entries.values()) {
      const { id, status, heartbeatSeconds } = entry.parsed;
      if (this.busy.has(id)) continue;
      const st = this.stateOf(id);
      if ((st.nextAttemptAt ?? 0) > now) continue;
      if (status === 'requested') this.spawn(id, () => this.handshake(entry));
      else if (status !== 'active') continue;
      else if (st.deliveredThrough < st.eventCount) this.spawn(id, () => this.deliver(entry));
      else if (heartbeatSeconds && now - (st.lastSentAt ?? 0) >= heartbeatSeconds * 1000) this.spawn(id, () => this.notify(entry, 'heartbeat', []));
    }
  }

  private spawn(id: string, fn: () => Promise<void>): void {
    this.busy.add(id);
    const p: Promise<void> = fn()
      .catch((err) => this.deps.log.error({ err, subscription: id }, 'subscription delivery failed'))
      .finally(() => {
        this.busy.delete(id);
        this.inflight.delete(p);
        // more may be due (the next events, a backlog after recovery)
        if (!this.matcher.closed) setImmediate(() => this.nudge());
      });
    this.inflight.add(p);
  }

  /** The handshake before `active` (backport); classic R4 subscriptions have none and become active at once. */
  private async handshake(entry: Entry): Promise<void> {
    if (!this.authorized(entry)) return this.setStatus(entry, 'error', 'The client that created this subscription is no longer authorized');
    if (entry.parsed.classic) return this.setStatus(entry, 'active');
    try {
      await this.post(entry, 'handshake', []);
      await this.progress(entry.parsed.id, { lastSentAt: Date.now() });
      await this.setStatus(entry, 'active');
    } catch (err) {
      await this.setStatus(entry, 'error', `Handshake failed: ${(err as Error).message}`);
    }
  }

  private async deliver(entry: Entry): Promise<void> {
    const st = this.stateOf(entry.parsed.id);
    const events = await this.deps.deliveries.events(entry.parsed.id, st.deliveredThrough, st.eventCount, entry.parsed.classic ? 1 : entry.parsed.maxCount);
    if (events.length) await this.notify(entry, 'event-notification', events);
  }

  /** Sends a notification; success moves the delivered position, failure schedules the retry or, past the window, the error status. */
  private async notify(entry: Entry, type: NotificationType, events: DeliveryEvent[]): Promise<void> {
    const id = entry.parsed.id;
    if (!this.authorized(entry)) return this.setStatus(entry, 'error', 'The client that created this subscription is no longer authorized');
    // health data leaves the server only with a record of it (DESIGN.md decision 11): while the audit
    // trail cannot be written, the notification waits, without counting as an attempt
    if (this.deps.recordable && !this.deps.recordable()) return;
    const now = Date.now();
    try {
      await this.post(entry, type, events);
      const done: DeliveryProgress = { attempts: 0, failingSince: undefined, nextAttemptAt: undefined, lastError: undefined, lastSentAt: Date.now() };
      if (events.length) done.deliveredThrough = events[events.length - 1].eventNumber;
      await this.progress(id, done);
    } catch (err) {
      const { progress, expired } = afterFailure(this.deps.ctx.config.subscriptions, this.stateOf(id), (err as Error).message, now);
      await this.progress(id, progress);
      if (expired) {
        const seconds = Math.round((now - (progress.failingSince as number)) / 1000);
        await this.setStatus(entry, 'error', `Notifications failed for ${seconds} s (${progress.attempts} attempts): ${progress.lastError}`);
      }
    }
  }

  private async post(entry: Entry, type: NotificationType, events: DeliveryEvent[]): Promise<void> {
    const p = entry.parsed;
    const { ctx } = this.deps;
    const timeoutMs = Math.min(ctx.config.subscriptions.timeoutMs, (p.timeoutSeconds ?? Infinity) * 1000);
    const grant = await this.grantOf(entry);
    if (!grant) throw new Error('the grant of the subscription no longer holds');
    const reader = new GuardedStore({ main: this.deps.store }, grant, ctx);
    const focus = async (e: DeliveryEvent): Promise<Resource | undefined> => {
      if (e.method === 'DELETE') return undefined;
      const v = await reader.vread(e.resourceType, e.id, e.versionId).catch(() => undefined);
      return v?.json ? (JSON.parse(v.json) as Resource) : undefined;
    };
    let request: ChannelRequest;
    if (p.classic) {
      // R4 classic rest-hook: an empty POST, or with a payload the resource PUT to [endpoint]/[type]/[id]
      const resource = p.payload && events[0] ? await focus(events[0]) : undefined;
      request = resource
        ? { method: 'PUT', url: `${p.endpoint.replace(/\/+$/, '')}/${resource.resourceType}/${resource.id}`, headers: p.headers, body: JSON.stringify(resource), contentType: p.payload, timeoutMs }
        : { method: 'POST', url: p.endpoint, headers: p.headers, timeoutMs };
    } else {
      const withContent = await Promise.all(events.map(async (event) => ({ event, resource: p.content === 'full-resource' ? await focus(event) : undefined })));
      const bundle = notificationBundle({
        baseUrl: ctx.baseUrl,
        subscription: p.id,
        topic: p.topicUrl,
        status: type === 'handshake' ? 'requested' : p.status,
        type,
        eventsSinceStart: type === 'event-notification' ? events[events.length - 1].eventNumber : this.stateOf(p.id).eventCount,
        content: p.content,
        events: withContent,
      });
      request = { method: 'POST', url: p.endpoint, headers: p.headers, body: JSON.stringify(bundle), contentType: p.payload ?? 'application/fhir+json', timeoutMs };
    }
    let status: number | undefined;
    try {
      status = await this.limiter.run(p.endpoint, () => send(request));
    } catch (err) {
      await this.recordSent(entry, type, events, { status: err instanceof ChannelError ? err.status : undefined, error: (err as Error).message });
      throw err;
    }
    await this.recordSent(entry, type, events, { status });
  }

  private recordSent(entry: Entry, type: NotificationType, events: DeliveryEvent[], result: Pick<NotificationSent, 'status' | 'error'>): Promise<void> {
    return recordSent({ onSent: this.deps.onSent, log: this.deps.log, system: this.system, indexed: (v) => this.indexed(v) }, entry, type, events, result);
  }

  private async progress(id: string, change: DeliveryProgress): Promise<void> {
    await this.deps.deliveries.progress(id, change);
    const next: DeliveryState = { ...this.stateOf(id), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete (next as unknown as Record<string, unknown>)[k];
    this.states.set(id, next);
  }

  /** The server's own change of a subscription's status, unless the subscription changed meanwhile. */
  private async setStatus(entry: Entry, status: 'active' | 'error' | 'off', error?: string): Promise<void> {
    const { ctx, log } = this.deps;
    const record = await this.system.transaction(async (session) => {
      const current = await session.read('Subscription', entry.parsed.id, 'u');
      if (!current?.json || current.deleted || current.versionId !== entry.versionId) return undefined;
      const s = JSON.parse(current.json) as Subscription;
      s.status = status;
      if (error) s.error = error;
      else delete s.error;
      const op = prepareVersion({ ...ctx, store: session }, s, { id: s.id as string, previous: current, method: 'PUT' });
      return (await session.write([op]))[0];
    });
    if (record) {
      await this.applySubscription(record);
      log.info({ subscription: entry.parsed.id, status, error }, 'subscription status changed');
    }
  }
}

import type { DefinitionRegistry } from '../definitions/registry';
import type { Interaction } from '../fhir/access';
import type { Hooks } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import { AUDIT_TYPE, redactQueries } from '../audit/redact';
import type { Resource } from '../fhir/types';
import { patientCompartments } from '../fhir/compartments';
import { extractIndexRows } from '../search/extract';
import type { Predicate, SearchPlan } from '../search/plan';
import type { HistoryQuery, IndexMaintenance, SearchPage, Store, StoreReader, StoreSession, VersionRecord, WriteOp } from '../storage/port';
import { systemGrant, type AccessSubject, type Grant } from './grant';
import { matches, type IndexedVersion } from './match';

export interface GuardDeps {
  registry: DefinitionRegistry;
  baseUrl: string;
  /** Told what a store scope wrote once it committed. */
  hooks?: Pick<Hooks, 'afterCommit'>;
}

export interface GuardedSearchOptions {
  /** 'r' for includes (each included resource is a read), 's' otherwise. */
  interaction?: Interaction;
}

/**
 * The stores behind the guard: the main store of health data, and the audit trail's own store
 * (DESIGN.md decision 11), which alone holds and serves AuditEvent. Without one, AuditEvent is empty.
 */
export interface DataStores {
  main: Store;
  audit?: Store;
}

/** Reads of a store that holds nothing (the audit trail when the server has none). */
const EMPTY: StoreReader = {
  readCurrent: async () => undefined,
  readVersion: async () => undefined,
  history: async () => [],
  historyCount: async () => 0,
  search: async (plan) => ({ records: [], ...(plan.total !== 'none' ? { total: 0 } : {}) }),
};

/** How many raw history versions one guarded history page may look at before it hands out a cursor. */
const HISTORY_SCAN = 20;

/**
 * The only way to data (DESIGN.md decision 10): a store that carries the request's grant. Reads and
 * vreads of what the grant does not cover throw the same 404 as an unknown resource; history keeps
 * only the versions the grant covers, each judged on its own content; every search, chain, `_has`,
 * include and $everything page gets the grant's predicates compiled in; a write is checked on the old
 * and the new content. Handlers receive this, never the raw port, and decide nothing themselves.
 */
export class GuardedStore {
  readonly kind: string;
  private readonly raw: Store;
  private readonly reader: StoreReader;
  private readonly auditReader: StoreReader;

  constructor(
    private readonly stores: DataStores,
    readonly grant: Grant,
    private readonly deps: GuardDeps,
    private readonly session?: StoreSession,
    /** Names of the system contexts this request's work used (for audit). */
    readonly systemUses: string[] = [],
    /** What the open scope wrote so far (for the afterCommit hooks). */
    private readonly written: WriteOp[] = []
  ) {
    this.raw = stores.main;
    this.kind = this.raw.kind;
    this.reader = session ?? this.raw;
    this.auditReader = stores.audit ?? EMPTY;
  }

  /** The server's own work on the raw stores, under a named system context. */
  static system(stores: DataStores, name: string, deps: GuardDeps): GuardedStore {
    return new GuardedStore(stores, systemGrant(name), deps);
  }

  /** AuditEvent lives in the audit trail's store, everything else in the main store. */
  private readerOf(type: string | undefined): StoreReader {
    return type === AUDIT_TYPE ? this.auditReader : this.reader;
  }

  /**
   * What a confined grant (patient/, or user/ short of an administrator) sees of an AuditEvent: no
   * query strings of other people's searches. Unconfined grants see the events as recorded.
   */
  private shown(record: VersionRecord, i: Interaction): VersionRecord {
    if (record.resourceType !== AUDIT_TYPE || (this.grant.predicates(i, AUDIT_TYPE) ?? []).length === 0) return record;
    return redactQueries(record, this.grant.subject.user);
  }

  /** The underlying store, as a key for per-store caches only. */
  get identity(): object {
    return this.raw;
  }

  get subject(): AccessSubject {
    return this.grant.subject;
  }

  /** 403 unless some scope names the interaction on the type. */
  authorize(i: Interaction, type: string): void {
    if (!this.grant.allows(i, type)) throw forbidden(`No granted scope allows ${INTERACTION_NAMES[i]} on ${type}`);
  }

  /** 403 unless the grant holds the named privilege (`system/$name`). */
  requirePrivilege(name: string): void {
    if (!this.grant.has(name)) throw forbidden(`$${name} needs the privilege scope system/$${name}`, 'FHIR-0403-PRIVILEGE');
  }

  /** The store's maintenance methods, for a grant that holds the privilege. */
  maintenance(privilege: string): IndexMaintenance {
    this.requirePrivilege(privilege);
    return this.raw;
  }

  /**
   * The same work under a named system context, e.g. aggregate peer counts no grant could see. The
   * name is kept for this request's audit event.
   */
  asSystem(name: string): GuardedStore {
    this.systemUses.push(name);
    return new GuardedStore(this.stores, systemGrant(name), this.deps, this.session, this.systemUses, this.written);
  }

  /**
   * The current version: undefined when it never existed; the caller's own deletion as its tombstone;
   * a 404 when the grant does not cover it (live or deleted), the same a never-known id gets.
   */
  async read(type: string, id: string, i: Interaction = 'r'): Promise<VersionRecord | undefined> {
    this.authorize(i, type);
    const where = this.grant.predicates(i, type) as Predicate[];
    const reader = this.readerOf(type);
    if (where.length === 0) return reader.readCurrent(type, id);
    const page = await reader.search({ resourceTypes: [type], where: [{ kind: 'id', ids: [id] }, ...where], count: 1, total: 'none' });
    if (page.records[0]) return this.shown(page.records[0], i);
    const current = await reader.readCurrent(type, id);
    if (!current) return undefined;
    if (current.deleted && (await this.covers(current, i))) return current;
    throw notFound(type, id);
  }

  /** One version, or undefined when it does not exist or the grant does not cover it. */
  async vread(type: string, id: string, versionId: string): Promise<VersionRecord | undefined> {
    this.authorize('r', type);
    const version = await this.readerOf(type).readVersion(type, id, versionId);
    return version && (await this.covers(version, 'r')) ? this.shown(version, 'r') : undefined;
  }

  /**
   * History newest first, only the versions the grant covers (instance level under `r`, type and
   * system level under `s`). `next` is the store version to continue below when more may follow.
   */
  async history(query: HistoryQuery): Promise<{ records: VersionRecord[]; next?: number }> {
    const i: Interaction = query.id ? 'r' : 's';
    if (query.resourceType) this.authorize(i, query.resourceType);
    const out: VersionRecord[] = [];
    let before = query.beforeStoreVersion;
    const reader = this.readerOf(query.resourceType);
    for (let scanned = 0; scanned < HISTORY_SCAN; scanned++) {
      const page = await reader.history({ ...query, beforeStoreVersion: before });
      for (const record of page) {
        // AuditEvents a store from before the audit trail had its own store may still hold are never shown from it
        if (record.resourceType === AUDIT_TYPE && reader !== this.auditReader) continue;
        if (!(await this.covers(record, i))) continue;
        out.push(this.shown(record, i));
        // the page is full: the next one starts right below the last version shown
        if (out.length === query.count) return { records: out, next: record.storeVersion };
      }
      if (page.length < query.count) return { records: out };
      before = page[page.length - 1].storeVersion;
    }
    // many versions passed over: hand out a cursor rather than scan on
    return { records: out, next: before };
  }

  /** The number of an instance's versions the grant covers. */
  async historyCount(query: Omit<HistoryQuery, 'count' | 'beforeStoreVersion'> & { resourceType: string; id: string }): Promise<number> {
    const reader = this.readerOf(query.resourceType);
    if ((this.grant.predicates('r', query.resourceType) ?? []).length === 0) return reader.historyCount(query);
    const versions = await reader.history({ ...query, count: 10_000 });
    let n = 0;
    for (const v of versions) if (await this.covers(v, 'r')) n++;
    return n;
  }

  /** A search with the grant's predicates per type, and in every chain, `_has` and `referencedBy` inside it. */
  async search(plan: SearchPlan, options: GuardedSearchOptions = {}): Promise<SearchPage> {
    const i = options.interaction ?? 's';
    const visible: string[] = [];
    const restrictions: Predicate[][] = [];
    // the audit trail is searched on its own: a search over several types never reaches into it
    const audit = plan.resourceTypes.length === 1 && plan.resourceTypes[0] === AUDIT_TYPE;
    for (const type of plan.resourceTypes) {
      if (type === AUDIT_TYPE && !audit) continue;
      const where = this.grant.predicates(i, type);
      if (where === null) continue;
      visible.push(type);
      restrictions.push(where);
    }
    if (visible.length === 0) return { records: [], ...(plan.total !== 'none' ? { total: 0 } : {}) };
    const uniform = restrictions.every((r) => JSON.stringify(r) === JSON.stringify(restrictions[0]));
    const access: Predicate[] = uniform
      ? restrictions[0]
      : [{ kind: 'or', any: visible.map((t, n): Predicate => ({ kind: 'and', all: [{ kind: 'type', types: [t] }, ...restrictions[n]] })) }];
    const page = await (audit ? this.auditReader : this.reader).search({ ...plan, resourceTypes: visible, where: [...plan.where.map((p) => this.guardInner(p)), ...access] });
    return audit ? { ...page, records: page.records.map((r) => this.shown(r, i)) } : page;
  }

  /**
   * One atomic scope (Store.transaction) whose store is guarded by the same grant; a transaction
   * already open is joined, so a Bundle's entries and the handlers they reach share one scope.
   */
  async transaction<T>(fn: (session: GuardedStore) => Promise<T>): Promise<T> {
    if (this.session) return fn(this);
    let written: WriteOp[] = [];
    const result = await this.raw.transaction((session) => {
      written = []; // an adapter may run the scope again (MongoDB, on a transient error): only the attempt that committed counts
      return fn(new GuardedStore(this.stores, this.grant, this.deps, session, this.systemUses, written));
    });
    if (written.length) for (const hook of this.deps.hooks?.afterCommit ?? []) hook(written);
    return result;
  }

  /** Appends versions (inside a transaction), each checked against the grant on its old and new content. */
  async write(ops: WriteOp[]): Promise<VersionRecord[]> {
    if (!this.session) throw new Error('GuardedStore.write outside a transaction');
    if (ops.some((op) => op.resourceType === AUDIT_TYPE)) {
      throw new FhirError('not-allowed', 'FHIR-0405-AUDIT', 'The audit trail is append-only and written by the server: AuditEvents cannot be created, changed or deleted');
    }
    for (const op of ops) await this.checkWrite(op);
    const records = await this.session.write(ops);
    this.written.push(...ops);
    return records;
  }

  currentStoreVersion(): Promise<number> {
    return this.raw.currentStoreVersion();
  }

  private async checkWrite(op: WriteOp): Promise<void> {
    const current = await this.session?.readCurrent(op.resourceType, op.id);
    const i: Interaction = op.deleted ? 'd' : current && !current.deleted ? 'u' : 'c';
    this.authorize(i, op.resourceType);
    if ((this.grant.predicates(i, op.resourceType) ?? []).length === 0) return;
    const old = current?.deleted ? await this.priorContent(current) : current;
    if (old?.json) {
      // what the caller may not see stays unknown (404); what it sees but may not change is 403
      if (!(await this.covers(old, i))) throw notFound(op.resourceType, op.id);
      if (!this.grant.mayWrite(i, this.indexed(old))) throw forbidden(`The granted scopes do not allow changing this ${op.resourceType}`);
    }
    if (!op.deleted && !this.grant.mayWrite(i, { resourceType: op.resourceType, id: op.id, index: op.index, compartments: op.compartments })) {
      throw forbidden(`The granted scopes do not allow writing this ${op.resourceType}: it must be about the patients the token may access`);
    }
  }

  /** Whether the grant covers a version on its own content; a tombstone by the version before it. */
  private async covers(version: VersionRecord, i: Interaction): Promise<boolean> {
    const where = this.grant.predicates(i, version.resourceType);
    if (where === null) return false;
    if (where.length === 0) return true;
    const content = version.deleted ? await this.priorContent(version) : version;
    return !!content?.json && matches(where, this.indexed(content));
  }

  private async priorContent(tombstone: VersionRecord): Promise<VersionRecord | undefined> {
    const n = Number(tombstone.versionId) - 1;
    return n >= 1 ? this.readerOf(tombstone.resourceType).readVersion(tombstone.resourceType, tombstone.id, String(n)) : undefined;
  }

  private indexed(version: VersionRecord): IndexedVersion {
    const resource = JSON.parse(version.json as string) as Resource;
    const index = extractIndexRows(this.deps.registry, resource, this.deps.baseUrl);
    return { resourceType: version.resourceType, id: version.id, index, compartments: patientCompartments(this.deps.registry, resource, index) };
  }

  /** Chains, `_has` and `referencedBy` look only at what the grant lets the caller search. */
  private guardInner(p: Predicate): Predicate {
    switch (p.kind) {
      case 'chain': {
        const any = p.targetTypes.flatMap((t): Predicate[] => {
          const where = this.grant.predicates('s', t);
          return where === null ? [] : [{ kind: 'chain', code: p.code, targetTypes: [t], where: [...p.where.map((q) => this.guardInner(q)), ...where] }];
        });
        return any.length === 1 ? any[0] : { kind: 'or', any };
      }
      case 'has': {
        const where = this.grant.predicates('s', p.sourceType);
        if (where === null) return { kind: 'or', any: [] };
        return { ...p, where: [...p.where.map((q) => this.guardInner(q)), ...where] };
      }
      case 'referencedBy': {
        const sources = p.sourceTypes.filter((t) => this.grant.predicates('s', t) !== null);
        if (sources.length === 0) return { kind: 'or', any: [] };
        const per: Predicate = {
          kind: 'or',
          any: sources.map((t): Predicate => ({ kind: 'and', all: [{ kind: 'type', types: [t] }, ...(this.grant.predicates('s', t) as Predicate[])] })),
        };
        return { ...p, sourceTypes: sources, where: [...p.where.map((q) => this.guardInner(q)), per] };
      }
      case 'not':
        return { kind: 'not', predicate: this.guardInner(p.predicate) };
      case 'and':
        return { kind: 'and', all: p.all.map((q) => this.guardInner(q)) };
      case 'or':
        return { kind: 'or', any: p.any.map((q) => this.guardInner(q)) };
      default:
        return p;
    }
  }
}

const INTERACTION_NAMES: Record<Interaction, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

export function forbidden(message: string, code = 'FHIR-0403-SCOPE'): FhirError {
  return new FhirError('forbidden', code, message, { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
}

/** Unknown and hidden alike: one message, so a 404 never tells which. */
export function notFound(type: string, id: string): FhirError {
  return new FhirError('not-found', 'FHIR-0404', `${type}/${id} is not known`);
}

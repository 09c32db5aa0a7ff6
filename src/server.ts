import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config';
import { apiAuditEvent } from './audit/api-event';
import { notificationAuditEvent } from './audit/notification-event';
import { AuditWriter } from './audit/writer';
import { AuditAppender } from './audit/appender';
import { loadCheckpointSigner } from './audit/checkpoint';
import { trailHead } from './audit/head';
import { AppenderSink, WorkerSink, type AuditSink } from './audit/sink';
import { installImplementationGuide, profileValidationHook } from './definitions/install-ig';
import { getRegistry } from './definitions/registry';
import { loadStoredDefinitions, storedDefinitionsApplier, storedProfileCheck } from './definitions/stored-definitions';
import type { ServerContext } from './fhir/context';
import { emptyHooks } from './fhir/hooks';
import { buildCapabilityStatement, capabilities, CapabilityStatements, type CapabilityContributions } from './fhir/interactions/capabilities';
import { createAuthorizationServer } from './auth';
import { authAuditEvent } from './auth/audit';
import { patientReader, userGrants } from './auth/patient-read';
import { smartRouter, smartSecurity } from './http/smart';
import { bundleHandler } from './fhir/bundles';
import { createRouter } from './fhir/router';
import { createApp } from './http/app';
import { requestBaseUrl } from './http/request-base';
import type { Authenticate } from './http/fhir-endpoint';
import { grantResolver } from './guard/from-token';
import { systemGrant } from './guard/grant';
import { createLogger } from './logging';
import { OperationRegistry } from './operations/registry';
import { reindexOperation } from './operations/reindex';
import { everythingOperation } from './operations/everything';
import { insuredProfileOperation } from './operations/insured-profile';
import { validateOperation } from './operations/validate';
import { subscriptionEventsOperation, subscriptionStatusOperation } from './operations/subscription-status';
import { createSubscriptions, withSubscriptionCapabilities } from './subscriptions';
import { MonitoringService } from './monitoring/service';
import { monitoringAuditEvent } from './audit/monitoring-event';
import type { TokenGrants } from './guard/from-token';
import type { Store } from './storage/port';
import { createAuditStore, createStore } from './storage';
import { SqliteStore } from './storage/sqlite/store';
import { createExportService, type ExportService } from './export/service';
import { exportRouter } from './http/export-endpoints';

// package.json sits one level above both src/ (tests) and dist/ (npm start)
const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };

export interface FhirServer {
  app: ReturnType<typeof createApp>;
  store: Store;
  /** The audit trail's own store. */
  auditStore: Store;
  /** The audit trail's writer (undefined with FHIR_AUDIT=off). */
  audit?: AuditWriter;
  log: Logger;
  close(): Promise<void>;
  /** Writes the AuditEvents queued so far (tests and shutdown). */
  flushAudit(): Promise<void>;
  /** Bulk Data export: its job store and a worker round on demand (tests). */
  exports: ExportService;
  /** Monitoring rules and alerts (tests wait on `idle()`). */
  monitoring: MonitoringService;
}

/** Assembles the server from its parts: registry, store, hooks, operations, router, HTTP. */
export async function createFhirServer(
  config: Config,
  options: {
    log?: Logger;
    store?: Store;
    auditStore?: Store;
    /** Append the audit trail in this thread even on the embedded store (the tests' default; the server uses its worker thread). */
    auditInProcess?: boolean;
    authenticate?: Authenticate;
  } = {}
): Promise<FhirServer> {
  const log = options.log ?? createLogger(config);
  const registry = getRegistry();
  const store = options.store ?? (await createStore(config));
  const auditStore = options.auditStore ?? (await createAuditStore(config));
  const hooks = emptyHooks();
  hooks.beforeStore.push(profileValidationHook(config.requiredProfiles), storedProfileCheck);
  // profiles and terminology written through the API take effect once committed
  hooks.afterCommit?.push(storedDefinitionsApplier(registry, log));

  const operations = new OperationRegistry();
  operations.register(validateOperation);
  operations.register(everythingOperation);
  operations.register(insuredProfileOperation);
  operations.register(reindexOperation);
  const baseCtx: ServerContext = {
    baseUrl: config.baseUrl,
    config,
    registry,
    hooks,
    now: () => new Date(),
  };
  // Bulk Data export: the kick-off operation, its status and file endpoints, the job workers
  const exports = createExportService({ config, registry, store, log, baseCtx });
  operations.register(exports.operation);
  await installImplementationGuide(baseCtx, store, log);
  await loadStoredDefinitions(baseCtx, store, log);
  const audit = config.audit ? new AuditWriter(await auditSink(config, auditStore, baseCtx, options.auditInProcess), log) : undefined;
  // subscriptions: the hook binding each Subscription to its creator's grant, the workers, $status and $events
  let ownerAuthorized: ((owner: TokenGrants) => boolean) | undefined;
  const subscriptions = await createSubscriptions(baseCtx, store, log, {
    authOff: config.auth === 'none' && !options.authenticate,
    ownerAuthorized: (o) => ownerAuthorized?.(o) ?? true,
    // every notification sent, accepted or not, is in the audit trail
    onSent: audit && ((sent) => audit.record(notificationAuditEvent(sent, new Date()))),
    // and none is sent while the trail cannot be written
    recordable: audit && (() => audit.unavailable() === undefined),
  });
  // monitoring: readings judged against the guide's and the stored rules after commit; alerts notify through subscriptions
  const monitoring = new MonitoringService({
    ctx: baseCtx,
    store,
    log: log.child({ component: 'monitoring' }),
    onRecord: audit && ((r) => audit.record(monitoringAuditEvent(r, new Date()))),
    recordable: audit && (() => audit.unavailable() === undefined),
    onRaised: () => subscriptions.nudge(),
  });
  hooks.afterCommit?.push(monitoring.afterCommit);
  operations.register(subscriptionStatusOperation(subscriptions));
  operations.register(subscriptionEventsOperation(subscriptions));
  const closers: (() => Promise<void>)[] = [() => exports.close()];
  const statement = (baseUrl: string) => buildCapabilityStatement({ ...baseCtx, baseUrl }, operations, { security: security?.(baseUrl), supportedProfiles: registry.profiles.byType() }, {
    name: pkg.name,
    version: pkg.version,
  });
  const route: ReturnType<typeof createRouter> = createRouter({
    operations,
    capabilities: (ctx) => capabilities(statements.at(ctx.baseUrl)),
    // entries of a batch or transaction come back through this same router
    bundle: bundleHandler(() => route),
  });
  let authenticate: Authenticate | undefined = options.authenticate;
  const routers = [];
  let security: ((baseUrl: string) => CapabilityContributions['security']) | undefined;
  let corsOrigin: ((origin: string) => boolean) | undefined;
  if (!authenticate && config.auth === 'none') {
    log.warn('FHIR_AUTH=none: authorization is OFF and every client may read and write everything; use only for local experiments');
    const open = systemGrant('authorization-off');
    authenticate = async () => open;
  } else if (!authenticate) {
    const resolve = grantResolver({ registry, config, baseUrl: config.baseUrl, store });
    // EHR launch checks are reads of Patient/{id} through the FHIR router: the guarded store decides
    const canRead = patientReader(baseCtx, store, route, log);
    const auth = await createAuthorizationServer(config, registry, log, {
      userEntitled: async (user, patientId) => !!user.fhirUser && canRead(await resolve(userGrants(user.fhirUser, user.administrator)), patientId),
    });
    authenticate = async (headers) => resolve(await auth.authenticate(headers));
    ownerAuthorized = (o) => !!auth.store.getClient(o.clientId) && !(o.family && auth.store.isFamilyRevoked(o.family));
    corsOrigin = (origin: string) => auth.store.listClients().some((c) => c.origins?.includes(origin));
    const allowed = (origin: string) => config.corsOrigins.includes('*') || config.corsOrigins.includes(origin) || !!corsOrigin?.(origin);
    routers.push(
      smartRouter(auth, {
        fhirBase: config.baseUrl,
        corsOrigins: allowed,
        audit: (decision) => audit?.record(authAuditEvent(decision, new Date())),
        unrecordable: audit && (() => audit.unavailable()),
        patientVisible: async (headers, patientId) => canRead(await authenticate!(headers), patientId),
        onError: (err) => log.error({ err }, 'SMART endpoint failed'),
        requestBase: (req) => requestBaseUrl(config, req),
      })
    );
    security = smartSecurity;
    closers.push(async () => auth.store.close());
  }
  routers.push(exportRouter({ baseCtx, store, log, authenticate, service: exports }));
  if (audit) {
    hooks.afterResponse.push((ctx, req, res, error) => {
      if (req.path[0] === 'metadata') return;
      audit.record(apiAuditEvent(ctx, req, res, error));
    });
    // one event per entry of a batch or transaction, under the Bundle's own event
    hooks.afterEntry?.push((ctx, entry, res, error, parent, rolledBack) => audit.record(apiAuditEvent(ctx, entry, res, error, { parent, rolledBack })));
  }
  hooks.afterResponse.push((_ctx, req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') subscriptions.nudge();
  });
  await subscriptions.start();
  await monitoring.start();
  // per base URL the server answers under, rebuilt when stored profiles change
  const statements = new CapabilityStatements((baseUrl) => withSubscriptionCapabilities(statement(baseUrl), subscriptions.topics), () => registry.profiles.version);
  statements.at(config.baseUrl);
  const app = createApp({ config, log, store, auditStore, audit, baseCtx, authenticate, route, routers, corsOrigin });
  return {
    app,
    store,
    auditStore,
    audit,
    log,
    async close() {
      await monitoring.close();
      await audit?.close();
      await subscriptions.close();
      for (const close of closers) await close();
      await store.close();
      await auditStore.close();
    },
    flushAudit: async () => audit?.flush(),
    exports,
    monitoring,
  };
}

/**
 * Where the trail is appended: on the embedded store by its worker thread (off the event loop that
 * serves requests); on MongoDB, or when asked, by an appender in this thread.
 */
async function auditSink(config: Config, auditStore: Store, ctx: ServerContext, inProcess = false): Promise<AuditSink> {
  if (auditStore instanceof SqliteStore && !inProcess) return new WorkerSink({ dataDir: config.dataDir, baseUrl: config.baseUrl, synchronous: config.sqliteSynchronous });
  const appender = new AuditAppender(auditStore, ctx, await loadCheckpointSigner(config.dataDir), undefined, trailHead(config.dataDir, auditStore));
  return new AppenderSink(appender, async () => {}, auditStore instanceof SqliteStore ? (n) => auditStore.limitPages(n) : undefined);
}

/** Starts listening on the port, on one interface when `host` is given, on all of them otherwise. */
export function listen(server: FhirServer, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const http = host ? server.app.listen(port, host, () => resolve(http)) : server.app.listen(port, () => resolve(http));
    http.once('error', reject);
  });
}

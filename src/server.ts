import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config';
import { apiAuditEvent } from './audit/api-event';
import { AuditWriter } from './audit/writer';
import { installImplementationGuide, profileValidationHook } from './definitions/install-ig';
import { getRegistry } from './definitions/registry';
import type { ServerContext } from './fhir/context';
import { emptyHooks } from './fhir/hooks';
import { buildCapabilityStatement, capabilities, type CapabilityContributions } from './fhir/interactions/capabilities';
import { createAuthorizationServer } from './auth';
import { authAuditEvent } from './auth/audit';
import { patientReader, userGrants } from './auth/patient-read';
import { smartRouter, smartSecurity } from './http/smart';
import { bundleHandler } from './fhir/bundles';
import { createRouter } from './fhir/router';
import { createApp } from './http/app';
import type { Authenticate } from './http/fhir-endpoint';
import { grantResolver } from './guard/from-token';
import { systemGrant } from './guard/grant';
import { createLogger } from './logging';
import { OperationRegistry } from './operations/registry';
import { reindexOperation } from './operations/reindex';
import { everythingOperation } from './operations/everything';
import { insuredProfileOperation } from './operations/insured-profile';
import { validateOperation } from './operations/validate';
import type { Store } from './storage/port';
import { createStore } from './storage';
import { createExportService, type ExportService } from './export/service';
import { exportRouter } from './http/export-endpoints';

// package.json sits one level above both src/ (tests) and dist/ (npm start)
const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };

export interface FhirServer {
  app: ReturnType<typeof createApp>;
  store: Store;
  log: Logger;
  close(): Promise<void>;
  /** Writes the AuditEvents queued so far (tests and shutdown). */
  flushAudit(): Promise<void>;
  /** Bulk Data export: its job store and a worker round on demand (tests). */
  exports: ExportService;
}

/** Assembles the server from its parts: registry, store, hooks, operations, router, HTTP. */
export async function createFhirServer(config: Config, options: { log?: Logger; store?: Store; authenticate?: Authenticate } = {}): Promise<FhirServer> {
  const log = options.log ?? createLogger(config);
  const registry = getRegistry();
  const store = options.store ?? (await createStore(config));
  const hooks = emptyHooks();
  hooks.beforeStore.push(profileValidationHook(config.requiredProfiles));

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
  const closers: (() => Promise<void>)[] = [() => exports.close()];
  const statement = () => buildCapabilityStatement(baseCtx, operations, { security, supportedProfiles: registry.profiles.byType() }, {
    name: pkg.name,
    version: pkg.version,
  });
  const route: ReturnType<typeof createRouter> = createRouter({
    operations,
    capabilities: () => capabilities(capabilityStatement),
    // entries of a batch or transaction come back through this same router
    bundle: bundleHandler(() => route),
  });
  const audit = config.audit ? new AuditWriter(baseCtx, store, log) : undefined;
  let authenticate: Authenticate | undefined = options.authenticate;
  const routers = [];
  let security: CapabilityContributions['security'];
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
    corsOrigin = (origin: string) => auth.store.listClients().some((c) => c.origins?.includes(origin));
    const allowed = (origin: string) => config.corsOrigins.includes('*') || config.corsOrigins.includes(origin) || !!corsOrigin?.(origin);
    routers.push(
      smartRouter(auth, {
        fhirBase: config.baseUrl,
        corsOrigins: allowed,
        audit: (decision) => audit?.record(authAuditEvent(decision, new Date())),
        patientVisible: async (headers, patientId) => canRead(await authenticate!(headers), patientId),
        onError: (err) => log.error({ err }, 'SMART endpoint failed'),
      })
    );
    security = smartSecurity(config.baseUrl);
    closers.push(async () => auth.store.close());
  }
  routers.push(exportRouter({ baseCtx, store, log, authenticate, service: exports }));
  if (audit) {
    hooks.afterResponse.push((ctx, req, res, error) => {
      if (req.path[0] === 'metadata') return;
      audit.record(apiAuditEvent(ctx, req, res, error));
    });
  }
  const capabilityStatement = statement();
  const app = createApp({ config, log, store, baseCtx, authenticate, route, routers, corsOrigin });
  return {
    app,
    store,
    log,
    async close() {
      await audit?.flush();
      for (const close of closers) await close();
      await store.close();
    },
    flushAudit: async () => audit?.flush(),
    exports,
  };
}

/** Starts listening on the port, on one interface when `host` is given, on all of them otherwise. */
export function listen(server: FhirServer, port: number, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const http = host ? server.app.listen(port, host, () => resolve(http)) : server.app.listen(port, () => resolve(http));
    http.once('error', reject);
  });
}

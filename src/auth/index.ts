import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { DefinitionRegistry } from '../definitions/registry';
import { loadSigningKeys } from './keys';
import { AuthorizationServer, type AuthorizationOptions } from './oauth';
import { hashSecret } from './passwords';
import { AuthStore } from './store';
import { TokenService } from './tokens';

/** Scopes of the administrator and bootstrap clients: everything, in v1 and v2 spelling, and the audit trail. */
export const ADMIN_SCOPE = 'system/*.* system/*.cruds system/AuditEvent.rs system/$reindex';

/**
 * Sets up the authorization server: keys, store, token service, and the first clients. On first start
 * an administrator client is created and its credentials written to DATA_DIR/admin-client.json (0600).
 */
export async function createAuthorizationServer(config: Config, registry: DefinitionRegistry, log: Logger, options: Pick<AuthorizationOptions, 'userEntitled'> = {}): Promise<AuthorizationServer> {
  const store = new AuthStore(config.dataDir);
  const keys = await loadSigningKeys(config.dataDir);
  const origin = new URL(config.baseUrl).origin;
  const tokens = new TokenService(keys, store, {
    issuer: config.baseUrl,
    audience: config.baseUrl,
    external: config.externalIssuer && config.externalJwksUrl ? { issuer: config.externalIssuer, jwksUrl: config.externalJwksUrl } : undefined,
  });
  await bootstrapClients(store, config, log);
  return new AuthorizationServer(store, tokens, registry, { fhirBase: config.baseUrl, token: `${origin}/auth/token` }, options);
}

async function bootstrapClients(store: AuthStore, config: Config, log: Logger): Promise<void> {
  if (config.bootstrapClientId && config.bootstrapClientSecret) {
    store.putClient({
      id: config.bootstrapClientId,
      name: 'Bootstrap system client',
      type: 'confidential-symmetric',
      secretHash: await hashSecret(config.bootstrapClientSecret),
      redirectUris: [],
      scope: ADMIN_SCOPE,
    });
  }
  const file = path.join(config.dataDir, 'admin-client.json');
  if (!fs.existsSync(file)) {
    const id = `admin-${randomUUID()}`;
    const secret = randomBytes(32).toString('base64url');
    store.putClient({ id, name: 'Administrator', type: 'confidential-symmetric', secretHash: await hashSecret(secret), redirectUris: [], scope: ADMIN_SCOPE });
    fs.writeFileSync(file, JSON.stringify({ client_id: id, client_secret: secret, token_endpoint: `${new URL(config.baseUrl).origin}/auth/token`, scope: ADMIN_SCOPE }, null, 2) + '\n', { mode: 0o600 });
    log.warn({ file }, 'created the administrator client; its id and secret are in this file (readable by its owner only)');
  }
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig, type Config } from '../../src/config';
import { createFhirServer, type FhirServer } from '../../src/server';
import type { Store } from '../../src/storage/port';
import { MongoStore } from '../../src/storage/mongo/store';
import { MongoStandIn } from '../storage/mongo-standin';

export interface TestServer {
  server: FhirServer;
  config: Config;
  dataDir: string;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** An in-process server on a fresh temporary data directory. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', FHIR_BASE_URL: 'http://localhost:8080/fhir', SQLITE_SYNCHRONOUS: 'NORMAL', FHIR_AUTH: 'none', ...env });
  const server = await createFhirServer(config, { store: await testStore() });
  return {
    server,
    config,
    dataDir,
    http: request(server.app),
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The store under test: the configuration's (the embedded SQLite store) by default; with
 * FHIR_TEST_STORE=mongo-standin the MongoDB adapter on the in-process stand-in (the jest project
 * `mongodb-adapter` runs the REST, search, bundle and operation suites that way).
 */
async function testStore(): Promise<Store | undefined> {
  const kind = process.env.FHIR_TEST_STORE;
  if (!kind) return undefined;
  if (kind === 'mongo-standin') return MongoStore.open(new MongoStandIn());
  throw new Error(`FHIR_TEST_STORE must be unset or mongo-standin, got ${kind}`);
}

export const FHIR_JSON = 'application/fhir+json';

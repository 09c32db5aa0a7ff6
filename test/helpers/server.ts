import { randomUUID } from 'node:crypto';
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

/**
 * An in-process server on a fresh temporary data directory. The audit trail is appended in this
 * thread unless `auditWorker` asks for the server's own worker thread (each worker loads the
 * definitions again, a second or two, so only the suites about the trail pay for it).
 */
export async function startTestServer(env: Record<string, string> = {}, options: { auditWorker?: boolean } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', FHIR_BASE_URL: 'http://localhost:8080/fhir', SQLITE_SYNCHRONOUS: 'NORMAL', FHIR_AUTH: 'none', ...env });
  const { store, drop } = await testStore();
  // on the stand-in, the trail's collections are a stand-in of their own
  const auditStore = store instanceof MongoStore ? await MongoStore.open(new MongoStandIn()) : undefined;
  const server = await createFhirServer(config, { store, auditStore, auditInProcess: !options.auditWorker });
  return {
    server,
    config,
    dataDir,
    http: request(server.app),
    async close() {
      await server.close();
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The store under test: the configuration's (the embedded SQLite store) by default. The jest project
 * `mongodb-adapter` sets FHIR_TEST_STORE=mongo-standin: the MongoDB adapter on the in-process
 * stand-in. FHIR_TEST_STORE=mongodb runs the same suites on the real MongoDB at MONGODB_URI, each
 * server on a database of its own, dropped when it closes.
 */
async function testStore(): Promise<{ store?: Store; drop?: () => Promise<void> }> {
  const kind = process.env.FHIR_TEST_STORE;
  if (!kind) return {};
  if (kind === 'mongo-standin') return { store: await MongoStore.open(new MongoStandIn()) };
  const uri = process.env.MONGODB_URI;
  if (kind === 'mongodb' && uri) {
    // the driver loads only here, so suites on the other stores do not pay for it
    const { connectMongo } = require('../../src/storage/mongo/connect') as typeof import('../../src/storage/mongo/connect');
    const name = `fhir_test_${randomUUID().slice(0, 8)}`;
    return {
      store: await MongoStore.open(await connectMongo(uri, name)),
      drop: async () => {
        const db = await connectMongo(uri, name);
        await db.dropDatabase();
        await db.close();
      },
    };
  }
  throw new Error(`FHIR_TEST_STORE must be unset, mongo-standin, or mongodb (with MONGODB_URI), got ${kind}`);
}

export const FHIR_JSON = 'application/fhir+json';

/** Requests to a test server with a bearer token, bodies sent as FHIR JSON. */
export function withBearer(http: TestServer['http'], bearer: string) {
  const auth = `Bearer ${bearer}`;
  return {
    get: (url: string) => http.get(url).set('Authorization', auth),
    post: (url: string, body: unknown) => http.post(url).set('Authorization', auth).set('Content-Type', FHIR_JSON).send(body as object),
    put: (url: string, body: unknown) => http.put(url).set('Authorization', auth).set('Content-Type', FHIR_JSON).send(body as object),
  };
}

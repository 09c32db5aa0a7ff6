import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig, type Config } from '../../src/config';
import { createFhirServer, type FhirServer } from '../../src/server';

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
  const server = await createFhirServer(config);
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

export const FHIR_JSON = 'application/fhir+json';

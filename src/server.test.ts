import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from './config';
import { createFhirServer, listen } from './server';

describe('listen', () => {
  it('listens only on the interface HOST names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-host-'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', FHIR_AUTH: 'none', FHIR_AUDIT: 'off', HOST: '127.0.0.1', SQLITE_SYNCHRONOUS: 'NORMAL' });
    const server = await createFhirServer(config);
    const http = await listen(server, 0, config.host);
    try {
      expect((http.address() as AddressInfo).address).toBe('127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/healthz`);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    } finally {
      await new Promise((r) => http.close(r));
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

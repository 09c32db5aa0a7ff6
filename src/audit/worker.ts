import { parentPort, workerData } from 'node:worker_threads';
import { addGuideDefinitions } from '../definitions/install-ig';
import { loadImplementationGuide } from '../definitions/ig';
import { getRegistry } from '../definitions/registry';
import { loadConfig } from '../config';
import type { AuditEvent } from '../fhir/types';
import { SqliteStore } from '../storage/sqlite/store';
import { AUDIT_FILE } from '../storage';
import { AuditAppender } from './appender';
import { loadCheckpointSigner } from './checkpoint';
import { FileHead } from './head';
import type { AuditWorkerData } from './sink';

/** The audit worker thread (sink.ts): owns the trail's write connection; one message at a time. */
const data = workerData as AuditWorkerData;
const registry = getRegistry();
// the guide's SearchParameters index AuditEvents as the server indexes everything else
addGuideDefinitions(registry, loadImplementationGuide());
const store = new SqliteStore({ dataDir: data.dataDir, synchronous: data.synchronous, file: AUDIT_FILE, trail: true });
const config = loadConfig({ DATA_DIR: data.dataDir, FHIR_BASE_URL: data.baseUrl });
const ready = loadCheckpointSigner(data.dataDir).then(
  (signer) =>
    new AuditAppender(store, { registry, baseUrl: data.baseUrl, config, now: () => new Date() }, signer, {
      checkpointEvery: data.checkpointEvery ?? 10_000,
      checkpointMs: data.checkpointMs ?? 60_000,
    }, new FileHead(data.dataDir))
);

type Message = { id: number } & ({ type: 'append'; events: string } | { type: 'limit'; extraPages?: number } | { type: 'close' });

let chain: Promise<unknown> = Promise.resolve();
parentPort?.on('message', (m: Message) => {
  chain = chain.then(async () => {
    try {
      if (m.type === 'append') await (await ready).append(JSON.parse(m.events) as AuditEvent[]);
      else if (m.type === 'limit') store.limitPages(m.extraPages);
      else await store.close();
      parentPort?.postMessage({ id: m.id, ok: true });
    } catch (err) {
      parentPort?.postMessage({ id: m.id, ok: false, error: (err as Error).message ?? String(err) });
    }
  });
});

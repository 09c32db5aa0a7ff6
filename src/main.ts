import { configOrExit } from './cli/command';
import { createLogger } from './logging';
import { createFhirServer, listen } from './server';

async function main(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config);
  // The process never dies on bad input; anything that escapes is logged loudly.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => log.fatal({ err }, 'uncaught exception'));

  const server = await createFhirServer(config, { log });
  const http = await listen(server, config.port, config.host);
  log.info({ host: config.host ?? '(all interfaces)', port: config.port, baseUrl: config.baseUrl, dataDir: config.dataDir, store: server.store.kind }, 'FHIR server listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      log.warn('requests still in flight after 10 s; closing connections');
      http.closeAllConnections();
    }, 10_000);
    force.unref();
    http.close(async () => {
      await server.close();
      log.info('stopped');
      process.exit(0);
    });
    http.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();

import type { Server } from 'node:http';
import { listen } from '../../src/server';
import { freePort } from '../helpers/child-server';
import { addSecretClient, startSmartServer, systemToken } from '../smart/helpers';

export type ClientServer = Awaited<ReturnType<typeof startSmartServer>> & {
  /** The FHIR base as a client on this machine reaches it: http://127.0.0.1:<port>/fhir */
  baseUrl: string;
  port: number;
  /** A system/*.cruds access token (client_credentials with client_secret_basic). */
  systemToken(): Promise<string>;
};

/**
 * The server in this process, listening on a loopback port with tokens required and no FHIR_BASE_URL,
 * as `npm start` runs it: a client that connects to 127.0.0.1 is answered with links under
 * 127.0.0.1 (not localhost), which it can follow.
 */
export async function startClientServer(): Promise<ClientServer> {
  const port = await freePort();
  const t = await startSmartServer({ FHIR_BASE_URL: '', PORT: String(port) });
  const secret = await addSecretClient(t.auth, 'client-tests', 'system/*.cruds');
  let http: Server | undefined = await listen(t.server, port, '127.0.0.1');
  const close = t.close;
  return Object.assign(t, {
    baseUrl: `http://127.0.0.1:${port}/fhir`,
    port,
    systemToken: () => systemToken(t, 'client-tests', secret, 'system/*.cruds'),
    async close() {
      await new Promise((r) => http?.close(r));
      http = undefined;
      await close();
    },
  });
}

/** A transaction of an Encounter and an Observation referring to it by urn:uuid, about one patient. */
export function visitTransaction(patientId: string) {
  const encounter = 'urn:uuid:5b1f3c1e-0000-4000-8000-000000000001';
  return {
    resourceType: 'Bundle' as const,
    type: 'transaction' as const,
    entry: [
      {
        fullUrl: encounter,
        resource: { resourceType: 'Encounter' as const, status: 'finished' as const, class: { code: 'AMB' }, subject: { reference: `Patient/${patientId}` } },
        request: { method: 'POST' as const, url: 'Encounter' },
      },
      {
        resource: { resourceType: 'Observation' as const, status: 'final' as const, code: { text: 'blood pressure' }, subject: { reference: `Patient/${patientId}` }, encounter: { reference: encounter } },
        request: { method: 'POST' as const, url: 'Observation' },
      },
    ],
  };
}

/** Five step counts about a patient (a search with _count=2 takes three pages). */
export function stepCounts(patientId: string) {
  return [1, 2, 3, 4, 5].map((n) => ({
    resourceType: 'Observation' as const,
    status: 'final' as const,
    code: { text: 'steps' },
    subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value: 1000 * n, unit: 'steps' },
  }));
}

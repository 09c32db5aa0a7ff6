import fs from 'node:fs';
import { buildOnce, startChildServer, tmpDataDir, waitForExit } from '../helpers/child-server';

jest.setTimeout(60_000);

describe('graceful shutdown on SIGTERM', () => {
  const dataDir = tmpDataDir('fhir-term-');
  beforeAll(() => buildOnce());
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('finishes the requests in flight, exits 0, and keeps what it acknowledged', async () => {
    const server = await startChildServer(dataDir);
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      fetch(`${server.base}/fhir/Patient`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:term', value: String(i) }] }),
      }).then(
        async (r) => ({ status: r.status, id: r.status === 201 ? ((await r.json()) as { id: string }).id : undefined }),
        () => ({ status: 0, id: undefined })
      )
    );
    await new Promise((r) => setTimeout(r, 5));
    server.proc.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    await waitForExit(server.proc);
    expect(server.proc.exitCode).toBe(0);
    // every request either completed normally or was never accepted; none got an error
    expect(results.every((r) => r.status === 201 || r.status === 0)).toBe(true);

    const again = await startChildServer(dataDir);
    try {
      for (const r of results.filter((x) => x.id)) {
        expect((await fetch(`${again.base}/fhir/Patient/${r.id}`)).status).toBe(200);
      }
    } finally {
      again.proc.kill('SIGTERM');
      await waitForExit(again.proc);
    }
  });
});

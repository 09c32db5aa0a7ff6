import http from 'node:http';

export interface Measure {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Drops pooled connections (after a long blocking step the server has closed them while idle). */
export function resetConnections(): void {
  agent.destroy();
}

/** One HTTP request over a keep-alive connection; resolves with the status (the body is drained). */
export function request(url: string, method = 'GET', body?: string, headers: Record<string, string> = {}, retried = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...(body ? { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(body) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    // a kept-alive socket the server closed while idle: try once more on a fresh one
    req.on('error', (err: NodeJS.ErrnoException) =>
      !retried && (err.code === 'ECONNRESET' || err.message === 'socket hang up') ? request(url, method, body, headers, true).then(resolve, reject) : reject(err)
    );
    if (body) req.write(body);
    req.end();
  });
}

/**
 * Runs `work` from `concurrency` loops until `durationMs` has passed (or `total` calls were made) and
 * reports throughput and exact latency percentiles.
 */
export async function load(work: (i: number) => Promise<boolean>, concurrency: number, durationMs: number, total = Infinity): Promise<Measure> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && next < total) {
        const i = next++;
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await work(i);
        } catch {
          ok = false;
        }
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    })
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(2));
  return { requests: latencies.length, errors, seconds: Number(seconds.toFixed(2)), perSecond: Math.round(latencies.length / seconds), p50: pct(50), p95: pct(95), p99: pct(99) };
}

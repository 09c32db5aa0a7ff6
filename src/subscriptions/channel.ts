/**
 * The rest-hook channel: one POST (or, for classic R4 subscriptions with a payload, a PUT of the
 * resource) with a timeout, and at most a few requests at a time per endpoint origin, so a slow
 * receiver holds up only its own notifications.
 */
export class EndpointLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly perEndpoint: number) {}

  async run<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    const key = new URL(endpoint).origin;
    if ((this.active.get(key) ?? 0) >= this.perEndpoint) {
      await new Promise<void>((resolve) => (this.waiting.get(key) ?? this.waiting.set(key, []).get(key))?.push(resolve));
    }
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      this.active.set(key, (this.active.get(key) ?? 1) - 1);
      this.waiting.get(key)?.shift()?.();
    }
  }
}

export interface ChannelRequest {
  method: 'POST' | 'PUT';
  url: string;
  headers: [string, string][];
  body?: string;
  contentType?: string;
  timeoutMs: number;
}

/** A notification the endpoint did not accept: the reason, and the HTTP status when there was an answer. */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message);
  }
}

/** Sends one notification; resolves with the status when the endpoint answered 2xx, throws a ChannelError otherwise. */
export async function send(r: ChannelRequest): Promise<number> {
  const headers = new Headers();
  for (const [name, value] of r.headers) headers.append(name, value);
  if (r.body !== undefined) headers.set('Content-Type', r.contentType ?? 'application/fhir+json');
  let res: Response;
  try {
    res = await fetch(r.url, { method: r.method, headers, body: r.body, redirect: 'manual', signal: AbortSignal.timeout(r.timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new ChannelError(e.name === 'TimeoutError' ? `no answer within ${r.timeoutMs} ms` : `not reachable (${e.cause?.code ?? e.message})`);
  }
  // the answer is not needed: read it to free the connection
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new ChannelError(`HTTP ${res.status}`, res.status);
  return res.status;
}

import { afterFailure } from './retry';

const settings = { retryBaseMs: 1000, retryMaxMs: 8000, retryWindowMs: 60_000 };

describe('afterFailure', () => {
  it('doubles the wait from the base up to the cap, counting attempts from the first failure', () => {
    let state = { attempts: 0, failingSince: undefined as number | undefined };
    const waits: number[] = [];
    for (let n = 0; n < 6; n++) {
      const { progress, expired } = afterFailure(settings, state, 'HTTP 500', 10_000 + n);
      expect(expired).toBe(false);
      waits.push((progress.nextAttemptAt as number) - (10_000 + n));
      state = { attempts: progress.attempts as number, failingSince: progress.failingSince };
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(state).toEqual({ attempts: 6, failingSince: 10_000 });
  });

  it('gives up once the endpoint has failed for the whole window, keeping the count and the error', () => {
    const { progress, expired } = afterFailure(settings, { attempts: 9, failingSince: 0 }, 'timeout', 60_000);
    expect(expired).toBe(true);
    expect(progress).toEqual({ attempts: 10, failingSince: 0, lastError: 'timeout', nextAttemptAt: undefined });
  });
});

import type { SearchPlan } from '../search/plan';
import type { HistoryQuery, StoreReader } from './port';

/**
 * What both adapters share around their own sessions: reads outside transactions go to a reader
 * session, and write scopes run one at a time through a queue (SQLite has a single writer; on
 * MongoDB every scope takes the store-version sequence, so side by side they would only conflict).
 */
export abstract class QueuedStore implements StoreReader {
  private queue: Promise<unknown> = Promise.resolve();
  protected closed = false;

  protected abstract readonly readSession: StoreReader;

  readCurrent(resourceType: string, id: string) {
    return this.readSession.readCurrent(resourceType, id);
  }
  readVersion(resourceType: string, id: string, versionId: string) {
    return this.readSession.readVersion(resourceType, id, versionId);
  }
  history(query: HistoryQuery) {
    return this.readSession.history(query);
  }
  historyCount(query: Omit<HistoryQuery, 'count' | 'beforeStoreVersion'>) {
    return this.readSession.historyCount(query);
  }
  search(plan: SearchPlan) {
    return this.readSession.search(plan);
  }

  /** Runs `scope` after every scope queued before it, whether those succeeded or not. */
  protected enqueue<T>(scope: () => Promise<T>): Promise<T> {
    const run = () => {
      if (this.closed) throw new Error('store is closed');
      return scope();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Waits for the queued scopes and marks the store closed; true when it was open. */
  protected async drain(): Promise<boolean> {
    if (this.closed) return false;
    await this.queue;
    this.closed = true;
    return true;
  }
}

import type { HistoryQuery, Store, StoreSession } from '../../storage/port';
import type { SearchPlan } from '../../search/plan';

/**
 * A Store whose reads and writes all go through one open session: transaction entries are
 * dispatched through the ordinary router with this as their store, so every handler's own
 * `transaction(...)` joins the bundle's single atomic scope instead of opening another.
 */
export function sessionStore(session: StoreSession, parent: Store): Store {
  return {
    kind: parent.kind,
    readCurrent: (type: string, id: string) => session.readCurrent(type, id),
    readVersion: (type: string, id: string, vid: string) => session.readVersion(type, id, vid),
    history: (q: HistoryQuery) => session.history(q),
    historyCount: (q: Omit<HistoryQuery, 'count' | 'beforeStoreVersion'>) => session.historyCount(q),
    search: (plan: SearchPlan) => session.search(plan),
    transaction: <T>(fn: (s: StoreSession) => Promise<T>) => fn(session),
    currentStoreVersion: () => parent.currentStoreVersion(),
    ping: () => parent.ping(),
    close: async () => undefined,
  };
}

/**
 * The delivery port (DESIGN.md decision 12): what subscription delivery keeps durably, beside the
 * resource port and separate from it. The version log of the resource store is the ordered source of
 * events; this store keeps how far the matcher has read it, the events it matched per subscription
 * (numbered without gaps, in the order of the log), and each subscription's delivery progress. Both
 * adapters implement it (sqlite/delivery.ts, mongo/delivery.ts); test/storage/delivery-contract.ts
 * holds them to the same behaviour.
 */

/** One matched event of one subscription. */
export interface DeliveryEvent {
  subscription: string;
  /** 1, 2, 3... per subscription, without gaps (events-since-subscription-start). */
  eventNumber: number;
  topic: string;
  /** The store version of the focus version (its place in the log). */
  storeVersion: number;
  resourceType: string;
  id: string;
  versionId: string;
  /** The focus version's lastUpdated. */
  timestamp: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
}

export type NewDeliveryEvent = Omit<DeliveryEvent, 'eventNumber'>;

/** A subscription's delivery progress. */
export interface DeliveryState {
  subscription: string;
  /** The highest event number recorded (0: none yet). */
  eventCount: number;
  /** The highest event number the endpoint acknowledged. */
  deliveredThrough: number;
  /** Failed attempts in a row. */
  attempts: number;
  /** Epoch ms of the first of the failed attempts in a row. */
  failingSince?: number;
  /** Epoch ms before which no new attempt is made. */
  nextAttemptAt?: number;
  lastError?: string;
  /** Epoch ms of the last notification of any kind that reached the endpoint (heartbeats count from it). */
  lastSentAt?: number;
}

/** What delivery may change of a state (the event count belongs to `record`). */
export type DeliveryProgress = Partial<Omit<DeliveryState, 'subscription' | 'eventCount'>>;

export interface DeliveryStore {
  /** The store version through which the version log has been matched (0 at first). */
  matchedThrough(): Promise<number>;
  /**
   * Appends the events, numbering them per subscription after the ones already recorded, and moves
   * the matcher's position to `through`, in one atomic step: after a crash the log is matched again
   * from the old position, so an event is recorded once or not at all.
   */
  record(events: NewDeliveryEvent[], through: number): Promise<DeliveryEvent[]>;
  /** Events numbered after `after` and at most `until`, in order, at most `limit`. */
  events(subscription: string, after: number, until: number, limit: number): Promise<DeliveryEvent[]>;
  /** The subscription's state (zeros for one never seen). */
  state(subscription: string): Promise<DeliveryState>;
  /** All states kept (start-up resumes from them). */
  states(): Promise<DeliveryState[]>;
  /** Sets delivery fields of the state; `undefined` fields are cleared, absent ones kept. */
  progress(subscription: string, change: DeliveryProgress): Promise<void>;
  close(): Promise<void>;
}

export function emptyState(subscription: string): DeliveryState {
  return { subscription, eventCount: 0, deliveredThrough: 0, attempts: 0 };
}

import { emptyState, type DeliveryEvent, type DeliveryProgress, type DeliveryState, type DeliveryStore, type NewDeliveryEvent } from '../delivery-port';
import type { DocCollection, MongoBackend, TxSession } from './collections';

interface EventDoc extends Omit<DeliveryEvent, 'subscription' | 'eventNumber'> {
  _id: string;
  sub: string;
  n: number;
}

interface StateDoc extends Omit<DeliveryState, 'subscription'> {
  _id: string;
}

interface CursorDoc {
  _id: string;
  sv: number;
}

const TRANSACTION_OPTIONS = { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority', j: true }, readPreference: 'primary' };
const ATTEMPTS = 5;

const eventId = (sub: string, n: number) => `${sub}/${String(n).padStart(12, '0')}`;

/**
 * The MongoDB adapter of the delivery port: collections of its own (`delivery_events`,
 * `delivery_state`, `delivery_cursor`) in the FHIR database; recording events and moving the
 * matcher's position is one multi-document transaction, rerun on transient errors.
 */
export class MongoDeliveryStore implements DeliveryStore {
  private readonly eventsColl: DocCollection<EventDoc>;
  private readonly statesColl: DocCollection<StateDoc>;
  private readonly cursorColl: DocCollection<CursorDoc>;

  private constructor(private readonly db: MongoBackend) {
    this.eventsColl = db.collection<EventDoc>('delivery_events');
    this.statesColl = db.collection<StateDoc>('delivery_state');
    this.cursorColl = db.collection<CursorDoc>('delivery_cursor');
  }

  static async open(db: MongoBackend): Promise<MongoDeliveryStore> {
    const store = new MongoDeliveryStore(db);
    await store.eventsColl.createIndexes([{ key: { sub: 1, n: 1 }, name: 'sub_n', unique: true }]);
    // the documents exist before any transaction needs them (a transaction may not create a collection on every deployment)
    await store.cursorColl.findOneAndUpdate({ _id: 'matcher' }, { $max: { sv: 0 } }, { upsert: true, returnDocument: 'after' });
    return store;
  }

  async matchedThrough(): Promise<number> {
    return (await this.cursorColl.findOne({ _id: 'matcher' }))?.sv ?? 0;
  }

  record(events: NewDeliveryEvent[], through: number): Promise<DeliveryEvent[]> {
    return this.inTransaction(async (session) => {
      const out: DeliveryEvent[] = [];
      for (const e of events) {
        const state = await this.statesColl.findOneAndUpdate(
          { _id: e.subscription },
          { $inc: { eventCount: 1 } },
          { upsert: true, returnDocument: 'after', session }
        );
        const n = state?.eventCount ?? 1;
        const { subscription, ...rest } = e;
        await this.eventsColl.insertOne({ _id: eventId(subscription, n), sub: subscription, n, ...rest }, { session });
        out.push({ ...e, eventNumber: n });
      }
      await this.cursorColl.findOneAndUpdate({ _id: 'matcher' }, { $max: { sv: through } }, { upsert: true, returnDocument: 'after', session });
      return out;
    });
  }

  async events(subscription: string, after: number, until: number, limit: number): Promise<DeliveryEvent[]> {
    const docs = await this.eventsColl.find({ sub: subscription, n: { $gt: after, $lte: until } }, { sort: { n: 1 }, limit }).toArray();
    return docs.map(({ _id, sub, n, ...rest }) => ({ subscription: sub, eventNumber: n, ...rest }));
  }

  async state(subscription: string): Promise<DeliveryState> {
    const doc = await this.statesColl.findOne({ _id: subscription });
    return doc ? fromStateDoc(doc) : emptyState(subscription);
  }

  async states(): Promise<DeliveryState[]> {
    return (await this.statesColl.find({}, { sort: { _id: 1 } }).toArray()).map(fromStateDoc);
  }

  async progress(subscription: string, change: DeliveryProgress): Promise<void> {
    const $set: Record<string, unknown> = {};
    const $unset: Record<string, ''> = {};
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) $unset[k] = '';
      else $set[k] = v;
    }
    // the increment by nothing makes the document exist (missing fields read as zeros)
    const update: Record<string, unknown> = { $inc: { eventCount: 0 } };
    if (Object.keys($set).length) update.$set = $set;
    if (Object.keys($unset).length) update.$unset = $unset;
    await this.statesColl.findOneAndUpdate({ _id: subscription }, update, { upsert: true, returnDocument: 'after' });
  }

  async close(): Promise<void> {
    // the connection belongs to the resource store, which closes it
  }

  private async inTransaction<T>(fn: (session: TxSession) => Promise<T>, attempt = 1): Promise<T> {
    const session = this.db.startSession();
    try {
      session.startTransaction(TRANSACTION_OPTIONS);
      let result: T;
      try {
        result = await fn(session);
      } catch (err) {
        await session.abortTransaction().catch(() => undefined);
        throw err;
      }
      await session.commitTransaction();
      return result;
    } catch (err) {
      const labels = (err as { errorLabels?: string[]; hasErrorLabel?: (l: string) => boolean }) ?? {};
      const transient = labels.hasErrorLabel?.('TransientTransactionError') ?? labels.errorLabels?.includes('TransientTransactionError') ?? false;
      if (transient && attempt < ATTEMPTS) return this.inTransaction(fn, attempt + 1);
      throw err;
    } finally {
      await session.endSession();
    }
  }
}

function fromStateDoc({ _id, ...rest }: StateDoc): DeliveryState {
  return { ...emptyState(_id), ...rest, subscription: _id };
}

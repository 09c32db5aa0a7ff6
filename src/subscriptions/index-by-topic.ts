import type { Grant } from '../guard/grant';
import type { ParsedSubscription } from './subscription';

/** One subscription as the workers hold it: what it asks for, where its first version sits in the log. */
export interface Entry {
  parsed: ParsedSubscription;
  /** The current version seen and its store version. */
  versionId: string;
  storeVersion: number;
  /** The store version of its first version: only later writes are its events. */
  startStoreVersion: number;
  grant?: { value: Grant | null; until: number };
}

/**
 * Subscriptions indexed by what can trigger them (topic, or the resource type of classic criteria) and,
 * within that, by the one patient compartment they are confined to when known (a launch patient, a
 * `patient=` filter): a write looks only at the subscriptions of its compartments and the unconfined
 * ones, so its cost grows with the topics that match it, not with the number of subscriptions.
 */
export class SubscriptionIndex {
  readonly entries = new Map<string, Entry>();
  private readonly byTrigger = new Map<string, { keyed: Map<string, Set<string>>; open: Set<string> }>();

  put(entry: Entry): void {
    this.remove(entry.parsed.id);
    this.entries.set(entry.parsed.id, entry);
    const slot = this.slot(this.triggerKey(entry.parsed));
    const key = entry.parsed.owner.system === undefined && entry.parsed.owner.patient ? `Patient/${entry.parsed.owner.patient}` : entry.parsed.patientKey;
    if (key) (slot.keyed.get(key) ?? slot.keyed.set(key, new Set()).get(key))?.add(entry.parsed.id);
    else slot.open.add(entry.parsed.id);
  }

  remove(id: string): void {
    const old = this.entries.get(id);
    if (!old) return;
    this.entries.delete(id);
    const slot = this.byTrigger.get(this.triggerKey(old.parsed));
    slot?.open.delete(id);
    for (const set of slot?.keyed.values() ?? []) set.delete(id);
  }

  /** The subscriptions of a topic (or classic criteria type) that a version in these compartments may concern. */
  candidates(trigger: string, compartments: string[]): Entry[] {
    const slot = this.byTrigger.get(trigger);
    if (!slot) return [];
    const ids = new Set(slot.open);
    for (const c of compartments) for (const id of slot.keyed.get(c) ?? []) ids.add(id);
    return [...ids].map((id) => this.entries.get(id) as Entry);
  }

  /** Whether any subscription is indexed under the trigger (open or confined). */
  hasKeyed(trigger: string): boolean {
    const slot = this.byTrigger.get(trigger);
    return !!slot && (slot.open.size > 0 || [...slot.keyed.values()].some((s) => s.size > 0));
  }

  triggerKey(p: ParsedSubscription): string {
    return p.classic ? `classic:${p.classic.resourceType}` : p.topicUrl;
  }

  private slot(key: string) {
    let s = this.byTrigger.get(key);
    if (!s) this.byTrigger.set(key, (s = { keyed: new Map(), open: new Set() }));
    return s;
  }
}

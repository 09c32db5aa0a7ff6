import type { AdminChange } from './admin-event';

/** The audit trail as `npm run admin` uses it (src/cli/admin.ts): record an event, get its id. */
export interface AdminTrail {
  record(change: AdminChange): Promise<string>;
  /** Set when a change was made but its result could not be recorded (its request was): the command then exits 1. */
  incomplete?: string;
  close(): Promise<void>;
}

type Request = Omit<AdminChange, 'phase' | 'requestedId'>;

/**
 * Makes a change only once its request is committed to the trail (a trail that cannot be written stops
 * the command before anything changes), then records its result. A result that cannot be recorded does
 * not undo the change, whose output (a client secret) must still reach the administrator: the command
 * says so and exits 1.
 */
export async function changed<T>(trail: AdminTrail | undefined, request: Request, act: () => T, outcome: (value: T) => { done: boolean; detail?: string } = () => ({ done: true })): Promise<T> {
  if (!trail) return act();
  const requestedId = await trail.record({ ...request, phase: 'requested' });
  const result = (change: Omit<AdminChange, 'action' | 'target' | 'requestedId'>) =>
    trail.record({ ...request, ...change, requestedId }).catch((err: Error) => {
      trail.incomplete = `the result of the change could not be recorded in the audit trail (its request was): ${err.message}`;
    });
  let value: T;
  try {
    value = act();
  } catch (err) {
    await result({ phase: 'failed', detail: (err as Error).message });
    throw err;
  }
  const { done, detail } = outcome(value);
  await result({ phase: done ? 'done' : 'failed', detail: detail ?? request.detail });
  return value;
}


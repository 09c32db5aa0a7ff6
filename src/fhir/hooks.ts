import type { Hooks } from './context';

export type { Hooks };

export function emptyHooks(): Hooks {
  return { beforeStore: [], afterCommit: [], afterResponse: [], afterEntry: [] };
}

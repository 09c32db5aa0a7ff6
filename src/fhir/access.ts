/** SMART's interaction letters: create, read, update, delete, search. */
export type Interaction = 'c' | 'r' | 'u' | 'd' | 's';

/** Case- and accent-folding for string search (search.html#string: "case-insensitive and accent-insensitive"). */
export function foldString(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

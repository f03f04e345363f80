import { InsertionOrderedMap } from "../lib/insertionOrderedMap";

/**
 * A bounded memo of a blind index (an HMAC): an address seen again costs a Map lookup instead of
 * an HMAC on the request path. The addresses it keys by stay in this process's memory only (never
 * written anywhere), at most `max` of them; the oldest goes first.
 */
export function memoizedIndex(index: (value: string) => string, max = 10_000): (value: string) => string {
  const memo = new InsertionOrderedMap<string, string>();
  return (value) => {
    let hash = memo.get(value);
    if (hash === undefined) {
      hash = index(value);
      if (memo.size >= max) memo.deleteOldest();
      memo.set(value, hash);
    }
    return hash;
  };
}

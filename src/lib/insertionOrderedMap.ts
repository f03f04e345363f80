/**
 * A Map that drops its oldest entry in O(1), for the bounded caches and memos. `map.delete(map.keys().next().value)` does the same
 * on a plain Map, but JavaScriptCore keeps a deleted entry's slot until the table rehashes and the
 * iterator walks every one of them: once such a map is full, each eviction cost ~17 µs (a Set, 22).
 * Here a queue remembers the order of insertion instead. As with a Map, setting a key that is
 * present keeps its place, and a key deleted and set again goes to the back.
 */
export class InsertionOrderedMap<K, V> {
  private readonly entries = new Map<K, { value: V; seq: number }>();
  /** Keys in insertion order with the `seq` they were inserted under; a stale pair is skipped. */
  private queue: [K, number][] = [];
  private head = 0;
  private seq = 0;

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): this {
    const present = this.entries.get(key);
    if (present) {
      present.value = value;
      return this;
    }
    this.entries.set(key, { value, seq: ++this.seq });
    this.queue.push([key, this.seq]);
    this.compact();
    return this;
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Drop the entry inserted longest ago (nothing when empty). */
  deleteOldest(): void {
    while (this.head < this.queue.length) {
      const [key, seq] = this.queue[this.head++]!;
      if (this.entries.get(key)?.seq === seq) {
        this.entries.delete(key);
        return;
      }
    }
  }

  /** Keep the queue within a small multiple of the live entries: consumed and stale pairs go. */
  private compact(): void {
    if (this.queue.length <= 2 * this.entries.size + 1024) return;
    this.queue = this.queue.slice(this.head).filter(([key, seq]) => this.entries.get(key)?.seq === seq);
    this.head = 0;
  }
}

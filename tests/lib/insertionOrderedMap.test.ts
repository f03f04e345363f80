import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InsertionOrderedMap } from "../../src/lib/insertionOrderedMap";

type Op = { op: "set"; key: number; value: number } | { op: "delete"; key: number } | { op: "deleteOldest" };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("set" as const), key: fc.integer({ min: 0, max: 30 }), value: fc.integer() }),
    fc.record({ op: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ op: fc.constant("deleteOldest" as const) }),
  ),
  { maxLength: 3_000 },
);

describe("the bounded caches' map: a Map whose oldest entry goes in O(1)", () => {
  test("property: after any sequence of set, delete and deleteOldest it holds what a plain Map would", () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const model = new Map<number, number>();
        const map = new InsertionOrderedMap<number, number>();
        for (const step of sequence) {
          if (step.op === "set") {
            model.set(step.key, step.value);
            map.set(step.key, step.value);
          } else if (step.op === "delete") expect(map.delete(step.key)).toBe(model.delete(step.key));
          else {
            const oldest = model.keys().next();
            if (!oldest.done) model.delete(oldest.value);
            map.deleteOldest();
          }
          expect(map.size).toBe(model.size);
        }
        for (let key = 0; key <= 30; key++) {
          expect(map.has(key)).toBe(model.has(key));
          expect(map.get(key)).toBe(model.get(key));
        }
      }),
      { numRuns: 300 },
    );
  });

  test("a key set again keeps its place; deleted and set again, it goes to the back", () => {
    const map = new InsertionOrderedMap<string, number>();
    map.set("a", 1).set("b", 2).set("c", 3).set("a", 10);
    map.deleteOldest();
    expect(map.has("a")).toBe(false);
    map.delete("b");
    map.set("b", 20);
    map.deleteOldest();
    expect([map.has("b"), map.has("c")]).toEqual([true, false]);
    expect(map.get("b")).toBe(20);
  });

  test("used as a bounded cache over many turns (its queue compacted many times), it agrees with a plain Map", () => {
    const model = new Map<number, number>();
    const map = new InsertionOrderedMap<number, number>();
    for (let i = 0; i < 30_000; i++) {
      if (map.size >= 1_000) {
        map.deleteOldest();
        model.delete(model.keys().next().value!);
      }
      map.set(i, i);
      model.set(i, i);
      if (i % 3 === 0) expect(map.delete(i - 500)).toBe(model.delete(i - 500));
    }
    expect(map.size).toBe(model.size);
    for (let i = 27_000; i < 30_000; i++) expect(map.get(i)).toBe(model.get(i));
  });
});

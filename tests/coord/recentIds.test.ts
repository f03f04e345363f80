import { describe, expect, test } from "bun:test";
import { recentIds } from "../../src/coord/memory";

describe("§5 billing records: an add repeated with one id counts once (in-process)", () => {
  test("an id is new once, and again only after `max` newer ids pushed it out", () => {
    const first = recentIds(3);
    expect(first("a")).toBe(true);
    expect(first("a")).toBe(false);
    expect(first("b")).toBe(true);
    expect(first("c")).toBe(true);
    expect(first("a")).toBe(false);
    expect(first("d")).toBe(true);
    expect(first("a")).toBe(true);
    expect(first("c")).toBe(false);
    expect(first("d")).toBe(false);
  });

  test("over many turns of the ring it remembers exactly the last `max` ids", () => {
    const max = 100;
    const first = recentIds(max);
    for (let i = 0; i < 10_000; i++) expect(first(`r${i}`)).toBe(true);
    for (let i = 10_000 - max; i < 10_000; i++) expect(first(`r${i}`)).toBe(false);
    expect(first(`r${10_000 - max - 1}`)).toBe(true);
  });
});

/**
 * Micro-benchmarks of the per-request costs named in issue 15, each beside the variant it replaces
 * (`bun bench/hotPath.ts`; a few seconds, one process). Prints ns per operation and the ratio.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFieldCipher } from "../src/crypto/fields";
import { memoizedIndex } from "../src/crypto/memoIndex";
import { openDatabase } from "../src/db/client";
import { unwatch, watch } from "../src/lib/deadlineWheel";

function nsPerOp(op: () => void, ms = 400): number {
  for (let i = 0; i < 2_000; i++) op();
  let n = 0;
  const start = Bun.nanoseconds();
  const until = start + ms * 1e6;
  while (Bun.nanoseconds() < until) {
    for (let i = 0; i < 500; i++) op();
    n += 500;
  }
  return (Bun.nanoseconds() - start) / n;
}

const rows: [string, number, string, number][] = [];
const compare = (what: string, before: [string, () => void], after: [string, () => void]) =>
  rows.push([`${what}: ${before[0]}`, nsPerOp(before[1]), after[0], nsPerOp(after[1])]);

const cipher = createFieldCipher({ keys: [{ id: "k1", key: randomBytes(32) }] });
const memo = memoizedIndex((a) => cipher.blindIndex("address", a));
compare(
  "address index",
  ["HMAC per request", () => cipher.blindIndex("address", "203.0.113.9")],
  ["memoized", () => memo("203.0.113.9")],
);

const dir = mkdtempSync(join(tmpdir(), "kriora-hot-"));
const handle = openDatabase(join(dir, "k.db"));
const dataVersion = handle.sqlite.query<{ data_version: number }, []>("PRAGMA data_version");
const nextLook = performance.now() + 60_000;
compare(
  "revocation check",
  ["PRAGMA data_version per request", () => dataVersion.get()],
  ["clock read, pragma at most every 100 ms", () => void (performance.now() < nextLook)],
);
await handle.close();
rmSync(dir, { recursive: true, force: true });

// Under load other attempts are open, so joining and leaving is a Set insert and delete.
const ticking = { tick() {} };
const other = { tick() {} };
watch(other);
compare(
  "upstream deadlines",
  [
    "two timers set and cleared per request",
    () => clearTimeout(setTimeout(() => {}, 60_000)) ?? clearTimeout(setTimeout(() => {}, 60_000)),
  ],
  ["joining and leaving the shared wheel", () => (watch(ticking), unwatch(ticking))],
);
unwatch(other);

console.log("| cost | before ns/op | after | after ns/op | ratio |\n|---|---|---|---|---|");
for (const [a, an, b, bn] of rows)
  console.log(`| ${a} | ${an.toFixed(0)} | ${b} | ${bn.toFixed(0)} | ${(bn / an).toFixed(3)}× |`);

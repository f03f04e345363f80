import { describe, expect, test } from "bun:test";
import {
  expectCleanRefusal,
  expectHealthy,
  HOSTILE_CANARY,
  useHostileTarget,
  type HostileTarget,
} from "../helpers/hostile";

let target: HostileTarget;
useHostileTarget((t) => (target = t));

/** What a path that escaped to the file system or another record would show. */
const LEAKS = ["root:x:0:0", '"dependencies"', "PRIVATE KEY", "bob@example.com"];

const traversals = [
  "..%2F..%2Fetc%2Fpasswd",
  "..%2f..%2f..%2fpackage.json",
  "%2e%2e",
  "%2e%2e%2f%2e%2e%2f",
  "..%5c..%5cwindows",
  "%252e%252e%252f",
  "....//....//etc",
  "%00",
  `x%00${HOSTILE_CANARY}`,
  "%C0%AE%C0%AE%C0%AF",
  "%FF%FE",
  "%",
  "a".repeat(65),
  `${HOSTILE_CANARY}%0d%0aset-cookie:x`,
];

describe("§9 hostile input: path traversal and odd encodings in ids", () => {
  const routes: [string, string, "alice" | "admin"][] = [
    ["GET", "/account/keys/:id", "alice"],
    ["DELETE", "/account/keys/:id", "alice"],
    ["GET", "/admin/accounts/:id", "admin"],
    ["GET", "/admin/accounts/:id/keys", "admin"],
    ["POST", "/admin/accounts/:id/suspend", "admin"],
    ["GET", "/admin/accounts/:id/usage", "admin"],
    ["POST", "/admin/accounts/:id/export", "admin"],
    ["DELETE", "/admin/keys/:id", "admin"],
  ];

  // Dot segments (also %2e%2e) are resolved by URL parsing before routing, so they can only land on
  // another route, under the same caller's authorization: that answer must be the normalised route's own.
  test.each(routes)(
    "%s %s: every traversal is a clean 400/404 (or the normalised route's own answer); nothing leaks or changes",
    async (method, route, who) => {
      const as = (path: string) =>
        fetch(`${target.url}${path}`, { method, headers: { authorization: `Bearer ${target[who].key}` } });
      for (const id of traversals) {
        const path = route.replace(":id", id);
        const normalised = new URL(path, target.url).pathname;
        const res = await as(path);
        if (normalised.startsWith(route.split(":")[0]!)) {
          expect([path, [400, 404].includes(res.status)]).toEqual([path, true]);
          await expectCleanRefusal(res, [HOSTILE_CANARY, ...LEAKS]);
        } else {
          expect([path, res.status]).toEqual([path, (await as(normalised)).status]);
          const text = await res.text();
          for (const leak of LEAKS) expect(text).not.toContain(leak);
        }
      }
      expect(target.env.deps.authView.key(target.bob.keyId)).toBeDefined();
      await expectHealthy(target.url);
    },
  );

  test("the literal examples: /account/keys/..%2F..%2Fetc and /admin/accounts/%2e%2e", async () => {
    const key = await fetch(`${target.url}/account/keys/..%2F..%2Fetc`, {
      headers: { authorization: `Bearer ${target.alice.key}` },
    });
    expect(key.status).toBe(404);
    await expectCleanRefusal(key);
    const account = await fetch(`${target.url}/admin/accounts/%2e%2e`, {
      headers: { authorization: `Bearer ${target.admin.key}` },
    });
    expect(account.status).toBe(404);
    await expectCleanRefusal(account);
  });

  test("the docs assets and unknown prefixes serve nothing from the file system", async () => {
    for (const path of [
      "/docs/assets/..%2F..%2Fpackage.json",
      "/docs/..%2f..%2fsrc%2fmain.ts",
      "/..%2f..%2fetc%2fpasswd",
      "/docs/assets/%2e%2e/%2e%2e/package.json",
    ]) {
      const res = await fetch(`${target.url}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
      await expectCleanRefusal(res, LEAKS);
    }
  });
});

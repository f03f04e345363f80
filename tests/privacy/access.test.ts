import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { listRequests } from "../../src/privacy/rights";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { seedPerson } from "../helpers/privacy";

let env: TestEnv | undefined;
afterEach(() => env?.close());

describe("§9 access control: the rights routes act on the caller's own account; the admin side needs an admin", () => {
  test("no credential is 401 and a user's key is 403 on every admin route; a user reaches only their own data; an admin reaches every right", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann");
    const bob = await seedPerson(deps, "bob");
    const app = createApp(deps);
    const own = [
      "POST /account/export",
      "GET /account/requests",
      "POST /account/restrict",
      "POST /account/policy/accept",
    ];
    for (const route of own) {
      const [method, path] = route.split(" ") as [string, string];
      expect([route, (await call(app, method, path)).status]).toEqual([route, 401]);
    }
    const admin = [
      ["POST", `/admin/accounts/${bob.id}/export`],
      ["POST", `/admin/accounts/${bob.id}/restrict`],
      ["POST", `/admin/accounts/${bob.id}/unrestrict`],
      ["POST", `/admin/accounts/${bob.id}/delete`, {}],
      ["POST", `/admin/accounts/${bob.id}/object`, { scope: "usage_trends" }],
      ["GET", "/admin/privacy/requests"],
    ] as const;
    for (const [method, path, body] of admin) {
      expect([path, (await call(app, method, path, { body })).status]).toEqual([path, 401]);
      expect([path, (await call(app, method, path, { key: ann.key, body })).status]).toEqual([path, 403]);
    }
    expect(JSON.stringify(await json(await call(app, "POST", "/account/export", { key: ann.key })))).not.toContain(
      bob.id,
    );
    expect(await listRequests(deps, { accountId: bob.id })).toEqual([]);

    const ops = await makeAccount(deps, "ops@example.com", "admin");
    const key = (await makeKey(deps, ops.id, { scopes: ["admin"] })).key;
    expect((await json(await call(app, "POST", `/admin/accounts/${bob.id}/restrict`, { key }))).status).toBe(
      "restricted",
    );
    expect((await call(app, "POST", `/admin/accounts/${bob.id}/unrestrict`, { key })).status).toBe(503);
    expect(
      (
        await json(
          await call(app, "POST", `/admin/accounts/${bob.id}/object`, { key, body: { scope: "abuse_detection" } }),
        )
      ).channel,
    ).toBe("admin");
    const erased = await json(
      await call(app, "POST", `/admin/accounts/${bob.id}/delete`, { key, body: { reason: "child" } }),
    );
    expect(erased).toMatchObject({ status: "erased", reason: "child" });
    expect((await call(app, "GET", "/account", { key: bob.key })).status).toBe(401);
    expect((await listRequests(deps, { accountId: bob.id })).map((r) => [r.kind, r.channel])).toEqual([
      ["restrict", "admin"],
      ["object", "admin"],
      ["erase", "admin"],
    ]);
  });
});

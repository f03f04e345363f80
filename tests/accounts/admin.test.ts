import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey, makeSessionCookie } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

async function setUp() {
  env = await makeTestEnv();
  const deps = env.deps;
  const admin = await makeAccount(deps, "root@example.com", "admin");
  const user = await makeAccount(deps, "user@example.com");
  const userKey = await makeKey(deps, user.id);
  return {
    deps,
    app: createApp(deps),
    admin,
    user,
    userKey,
    adminKey: (await makeKey(deps, admin.id, { scopes: ["admin"] })).key,
  };
}

/** Every admin route, with a body that would be valid for an admin. */
const adminRoutes = (userId: string, keyId: string): [string, string, unknown?][] => [
  ["GET", "/admin/accounts"],
  ["POST", "/admin/accounts", { email: "made@example.com" }],
  ["POST", "/admin/accounts/lookup", { email: "user@example.com" }],
  ["GET", `/admin/accounts/${userId}`],
  ["PUT", `/admin/accounts/${userId}/email`, { email: "changed@example.com" }],
  ["POST", `/admin/accounts/${userId}/suspend`],
  ["POST", `/admin/accounts/${userId}/unsuspend`],
  ["GET", `/admin/accounts/${userId}/keys`],
  ["POST", `/admin/accounts/${userId}/keys`, { scopes: ["model"] }],
  ["DELETE", `/admin/keys/${keyId}`],
  ["POST", "/admin/keyring/rotate"],
];

describe("§9 access control: admin routes", () => {
  test("a non-admin gets 403 on every admin route (key or session), and nothing changes", async () => {
    const { deps, app, user, userKey } = await setUp();
    const auditBefore = (await deps.audit.verify()).entries;
    const cookie = await makeSessionCookie(deps, user.id);
    for (const [method, path, body] of adminRoutes(user.id, userKey.id)) {
      expect([method, path, (await call(app, method, path, { key: userKey.key, body })).status]).toEqual([
        method,
        path,
        403,
      ]);
      expect([
        method,
        path,
        (await call(app, method, path, { cookie, body, headers: { origin: "http://127.0.0.1:8080" } })).status,
      ]).toEqual([method, path, 403]);
      expect((await call(app, method, path, { body })).status).toBe(401);
    }
    expect((await deps.audit.verify()).entries).toBe(auditBefore);
    expect(deps.authView.key(userKey.id)).toBeDefined();
  });

  test("authorization comes before validation: a non-admin's malformed body is 403, an anonymous one 401", async () => {
    const { app, userKey } = await setUp();
    expect((await call(app, "POST", "/admin/accounts", { key: userKey.key, body: { email: 42 } })).status).toBe(403);
    expect((await call(app, "POST", "/admin/accounts", { body: { email: 42 } })).status).toBe(401);
  });

  test("an admin account's key without the admin scope is 403 too", async () => {
    const { deps, app, admin } = await setUp();
    const { key } = await makeKey(deps, admin.id, { scopes: ["model", "account"] });
    expect((await call(app, "GET", "/admin/accounts", { key })).status).toBe(403);
  });

  test("an admin can do each of them; reads and changes are audited as admin:<id>, never with an email", async () => {
    const { deps, app, admin, user, userKey, adminKey } = await setUp();
    for (const [method, path, body] of adminRoutes(user.id, userKey.id)) {
      const res = await call(app, method, path, { key: adminKey, body });
      expect([method, path, res.status]).toEqual([
        method,
        path,
        method === "POST" && (path === "/admin/accounts" || path.endsWith("/keys")) ? 201 : 200,
      ]);
    }
    const entries = (await deps.audit.tail(50)).filter((e) => e.actor === `admin:${admin.id}`);
    expect(entries.map((e) => e.action)).toEqual([
      "accounts.list",
      "account.create",
      "account.read",
      "account.read",
      "account.set_email",
      "account.suspend",
      "account.unsuspend",
      "key.issue",
      "key.revoke",
      "keyring.rotate",
    ]);
    expect(JSON.stringify(await deps.audit.tail(100))).not.toContain("@example.com");
  });

  test("admin routes take account ids, never an address in the URL; an unknown id is 404", async () => {
    const { app, adminKey } = await setUp();
    expect((await call(app, "GET", "/admin/accounts/user@example.com", { key: adminKey })).status).toBe(404);
    expect((await call(app, "GET", "/admin/accounts/acc_nosuchaccount00000000", { key: adminKey })).status).toBe(404);
  });

  test("an admin session (from a magic link) may use admin routes", async () => {
    const { deps, app, admin } = await setUp();
    const res = await call(app, "GET", "/admin/accounts", { cookie: await makeSessionCookie(deps, admin.id) });
    expect(res.status).toBe(200);
    expect((await json(res)).map((a: { email: string }) => a.email).sort()).toEqual([
      "root@example.com",
      "user@example.com",
    ]);
  });
});

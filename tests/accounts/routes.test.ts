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
  const alice = await makeAccount(deps, "alice@example.com");
  const bob = await makeAccount(deps, "bob@example.com");
  return {
    deps,
    app: createApp(deps),
    alice: { ...alice, key: (await makeKey(deps, alice.id)).key },
    bob: { ...bob, keyId: (await makeKey(deps, bob.id, { name: "bob's key" })).id },
  };
}

describe("§5 account management: /account and /account/keys", () => {
  test("GET /account shows the caller's own account; a key without the account scope is 403", async () => {
    const { deps, app, alice } = await setUp();
    const me = await json(await call(app, "GET", "/account", { key: alice.key }));
    expect(me).toMatchObject({ id: alice.id, email: "alice@example.com", role: "user", status: "active" });
    const modelOnly = await makeKey(deps, alice.id, { scopes: ["model"] });
    const res = await call(app, "GET", "/account", { key: modelOnly.key });
    expect(res.status).toBe(403);
    expect((await call(app, "GET", "/account")).status).toBe(401);
  });

  test("keys: issue (shown once), list without the key, read, revoke", async () => {
    const { app, alice } = await setUp();
    const created = await call(app, "POST", "/account/keys", {
      key: alice.key,
      body: {
        name: "ci",
        scopes: ["model"],
        expires_in_days: 30,
        rpm: 60,
        require_zdr: true,
        regions: ["eu"],
        models: ["gpt-4o-mini"],
      },
    });
    expect(created.status).toBe(201);
    const issued = await json(created);
    expect(issued.key).toStartWith("kr_");
    expect(issued).toMatchObject({
      name: "ci",
      scopes: ["model"],
      rpm: 60,
      tpm: null,
      require_zdr: true,
      regions: ["eu"],
      models: ["gpt-4o-mini"],
    });
    const listed = await json(await call(app, "GET", "/account/keys", { key: alice.key }));
    expect(listed.map((k: { id: string }) => k.id)).toContain(issued.id);
    expect(JSON.stringify(listed)).not.toContain(issued.key.slice(3));
    expect((await call(app, "GET", `/account/keys/${issued.id}`, { key: alice.key })).status).toBe(200);
    const revoked = await call(app, "DELETE", `/account/keys/${issued.id}`, { key: alice.key });
    expect((await json(revoked)).revoked_at).not.toBeNull();
    expect((await call(app, "GET", "/account", { key: issued.key })).status).toBe(401);
  });

  test("the new key's settings reach the Principal the proxy sees", async () => {
    const { deps, app, alice } = await setUp();
    const issued = await json(
      await call(app, "POST", "/account/keys", {
        key: alice.key,
        body: {
          scopes: ["model"],
          rpm: 7,
          tpm: 700,
          require_zdr: true,
          regions: ["eu", "us"],
          models: ["m1"],
          monthly_budget_usd: 2.5,
        },
      }),
    );
    await call(app, "PATCH", "/account", { key: alice.key, body: { regions: ["eu"] } });
    const principal = await deps.auth.authenticate(
      new Request("http://localhost/v1/models", { headers: { "x-api-key": issued.key } }),
    );
    expect(principal).toMatchObject({ accountId: alice.id, keyId: issued.id, via: "api_key", role: "user" });
    expect([...principal.scopes]).toEqual(["model"]);
    expect(issued.monthly_budget_usd).toBe(2.5);
    expect(principal.policy).toEqual({
      requireZdr: true,
      regions: ["eu"],
      models: ["m1"],
      rpm: 7,
      tpm: 700,
      monthlyBudgetMicros: 2_500_000,
    });
  });

  test("a key cannot mint a key with a scope it lacks; a user cannot hold the admin scope", async () => {
    const { app, alice } = await setUp();
    const wider = await call(app, "POST", "/account/keys", {
      key: alice.key,
      body: { scopes: ["model", "account", "admin"] },
    });
    expect(wider.status).toBe(403);
    expect((await json(wider)).error.param).toBe("scopes");
  });
});

describe("§9 access control: another account's objects are 404 (object-level authorization)", () => {
  test("reading or revoking another account's key is 404, exactly like a key that does not exist", async () => {
    const { app, alice, bob } = await setUp();
    for (const [method, id] of [
      ["GET", bob.keyId],
      ["DELETE", bob.keyId],
      ["GET", "key_doesnotexist000000000"],
      ["DELETE", "key_doesnotexist000000000"],
    ] as const) {
      const res = await call(app, method, `/account/keys/${id}`, { key: alice.key });
      expect(res.status).toBe(404);
      expect((await json(res)).error.message).toBe("No such key.");
    }
    const list = await json(await call(app, "GET", "/account/keys", { key: alice.key }));
    expect(JSON.stringify(list)).not.toContain(bob.keyId);
    expect(JSON.stringify(list)).not.toContain("bob's key");
    expect(JSON.stringify(await json(await call(app, "GET", "/account", { key: alice.key })))).not.toContain(
      "bob@example.com",
    );
  });

  test("the revoke attempt on another account's key left it working", async () => {
    const { deps, app, alice, bob } = await setUp();
    await call(app, "DELETE", `/account/keys/${bob.keyId}`, { key: alice.key });
    expect(deps.authView.key(bob.keyId)).toBeDefined();
  });
});

describe("§9 access control: PATCH /account ignores what is not the holder's to set (mass assignment)", () => {
  test("role, status and credits in the body change nothing; the allowed fields change", async () => {
    const { deps, app, alice } = await setUp();
    const cookie = await makeSessionCookie(deps, alice.id);
    const res = await call(app, "PATCH", "/account", {
      cookie,
      headers: { origin: "http://127.0.0.1:8080" },
      body: {
        role: "admin",
        status: "active",
        credits: 1_000_000,
        credit_usd: 5,
        verified_at: "2020-01-01T00:00:00Z",
        email: "evil@example.com",
        require_zdr: true,
      },
    });
    expect(res.status).toBe(200);
    const me = await json(res);
    expect(me).toMatchObject({
      role: "user",
      status: "active",
      email: "alice@example.com",
      require_zdr: true,
      verified_at: null,
    });
    expect(me.credits).toBeUndefined();
    const row = deps.handle.sqlite.query("SELECT role, status FROM accounts WHERE id = ?").get(alice.id);
    expect(row).toEqual({ role: "user", status: "active" });
    const admin = await call(app, "GET", "/admin/accounts", { cookie });
    expect(admin.status).toBe(403);
  });

  test("§14 restriction: a restricted account reaches its data, cannot lift the restriction by PATCH, and its keys lose the model scope", async () => {
    const { deps, app, alice } = await setUp();
    deps.handle.sqlite.run("UPDATE accounts SET status = 'restricted' WHERE id = ?", [alice.id]);
    await deps.authView.refreshAccount(alice.id);
    const res = await call(app, "PATCH", "/account", { key: alice.key, body: { status: "active" } });
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe("restricted");
    const principal = await deps.auth.authenticate(
      new Request("http://localhost/", { headers: { authorization: `Bearer ${alice.key}` } }),
    );
    expect([...principal.scopes]).toEqual(["account"]);
  });
});

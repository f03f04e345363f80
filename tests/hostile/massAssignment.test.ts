import { describe, expect, test } from "bun:test";
import { makeKey } from "../helpers/identity";
import {
  expectCleanRefusal,
  HOSTILE_CANARY,
  MODELS,
  SAME_ORIGIN,
  useHostileTarget,
  type HostileTarget,
} from "../helpers/hostile";
import { all, one } from "../../src/db/tx";
import { accounts, apiKeys, rightsRequests } from "../../src/db/schema";
import { count, eq } from "drizzle-orm";

let target: HostileTarget;
useHostileTarget((t) => (target = t));

const send = (method: string, path: string, body: string, auth: Record<string, string>) =>
  fetch(`${target.url}${path}`, { method, headers: { "content-type": "application/json", ...auth }, body });
const asAlice = () => ({ authorization: `Bearer ${target.alice.key}` });
const accountRow = (id: string) =>
  one(
    target.env.deps.db
      .select({ id: accounts.id, role: accounts.role, status: accounts.status, createdAt: accounts.createdAt })
      .from(accounts)
      .where(eq(accounts.id, id)),
  );

describe("§9 access control: fields that are not the caller's to set are ignored or refused (mass assignment)", () => {
  test("POST /account/keys: account_id, id, key, revoked_at and created_at in the body are ignored; the key is Alice's, fresh and live", async () => {
    const res = await send(
      "POST",
      "/account/keys",
      JSON.stringify({
        name: "mine",
        scopes: ["model"],
        account_id: target.bob.id,
        id: target.bob.keyId,
        key: HOSTILE_CANARY,
        revoked_at: "2020-01-01T00:00:00Z",
        created_at: "2000-01-01T00:00:00Z",
      }),
      asAlice(),
    );
    expect(res.status).toBe(201);
    const issued = (await res.json()) as Record<string, unknown>;
    expect(issued).toMatchObject({ account_id: target.alice.id, revoked_at: null, scopes: ["model"] });
    expect(issued.id).not.toBe(target.bob.keyId);
    expect(issued.key).not.toBe(HOSTILE_CANARY);
    expect(Date.parse(String(issued.created_at))).toBeGreaterThan(Date.parse("2020-01-01"));
    expect(target.env.deps.authView.key(target.bob.keyId)?.accountId).toBe(target.bob.id);
  });

  test("POST /account/keys: scopes beyond the caller's own are refused (a key without model, a user's session asking for admin)", async () => {
    const accountOnly = await makeKey(target.env.deps, target.alice.id, { scopes: ["account"] });
    const wider = await send("POST", "/account/keys", JSON.stringify({ scopes: ["model"] }), {
      authorization: `Bearer ${accountOnly.key}`,
    });
    expect(wider.status).toBe(403);
    expect(JSON.parse(await expectCleanRefusal(wider)).error.param).toBe("scopes");
    const admin = await send("POST", "/account/keys", JSON.stringify({ scopes: ["admin"] }), {
      cookie: target.alice.cookie,
      ...SAME_ORIGIN,
    });
    expect(admin.status).toBe(403);
    await expectCleanRefusal(admin);
    const keys = await all(
      target.env.deps.db.select({ scopes: apiKeys.scopes }).from(apiKeys).where(eq(apiKeys.accountId, target.alice.id)),
    );
    expect(keys.some((k) => k.scopes.includes("admin"))).toBe(false);
  });

  test("PATCH /account: id, created_at and policy fields are ignored; prototype pollution sets nothing", async () => {
    const before = await accountRow(target.alice.id);
    const res = await send(
      "PATCH",
      "/account",
      `{"id":"${target.bob.id}","created_at":"2000-01-01T00:00:00Z","policy_version":"${HOSTILE_CANARY}","__proto__":{"role":"admin","status":"active"},"constructor":{"prototype":{"role":"admin"}},"regions":["us"]}`,
      asAlice(),
    );
    expect(res.status).toBe(200);
    const me = (await res.json()) as Record<string, unknown>;
    expect(me).toMatchObject({ id: target.alice.id, role: "user", regions: ["us"], policy_version: null });
    expect(await accountRow(target.alice.id)).toEqual(before);
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("role");
  });

  test("a model request's __proto__ reaches the provider as plain data and changes nothing in the gateway", async () => {
    const res = await send(
      "POST",
      "/v1/chat/completions",
      `{"model":"${MODELS.openai}","__proto__":{"model":"hang","scopes":["admin"]},"messages":[]}`,
      asAlice(),
    );
    expect(res.status).toBe(200);
    await res.text();
    expect(target.fake.requests.at(-1)!.model).toBe("fine");
    expect(Object.prototype).not.toHaveProperty("scopes");
  });

  test("POST /account/object with another account_id records the objection for the caller only", async () => {
    const res = await send(
      "POST",
      "/account/object",
      JSON.stringify({ scope: "usage_trends", account_id: target.bob.id }),
      asAlice(),
    );
    expect(res.status).toBeLessThan(300);
    expect(((await res.json()) as { account_id: string }).account_id).toBe(target.alice.id);
    const bobs = await one(
      target.env.deps.db.select({ n: count() }).from(rightsRequests).where(eq(rightsRequests.accountId, target.bob.id)),
    );
    expect(bobs!.n).toBe(0);
  });
});

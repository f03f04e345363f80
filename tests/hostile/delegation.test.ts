import { describe, expect, test } from "bun:test";
import { DAY_MS } from "../../src/lib/clock";
import type { KeySettingsInput } from "../../src/keys/settings";
import { expectCleanRefusal, MODELS, SAME_ORIGIN, useHostileTarget, type HostileTarget } from "../helpers/hostile";
import { json } from "../helpers/http";
import { makeKey } from "../helpers/identity";

let target: HostileTarget;
useHostileTarget((t) => (target = t));

/** A key of Alice's with the model and account scopes and `settings`. */
async function aliceKey(settings: KeySettingsInput): Promise<string> {
  return (await makeKey(target.env.deps, target.alice.id, { scopes: ["model", "account"], ...settings })).key;
}

function mint(credential: { key?: string; cookie?: string }, body: Record<string, unknown>): Promise<Response> {
  const auth: Record<string, string> = credential.key
    ? { authorization: `Bearer ${credential.key}` }
    : { cookie: credential.cookie!, ...SAME_ORIGIN };
  return fetch(`${target.url}/account/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: JSON.stringify(body),
  });
}

function chat(key: string, model: string = MODELS.openai): Promise<Response> {
  return fetch(`${target.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
}

/** Every restriction a key can carry, and a child body that keeps all of them exactly. */
const PARENT: KeySettingsInput = {
  expiresInMs: 10 * DAY_MS,
  rpm: 5,
  tpm: 10_000,
  requireZdr: true,
  regions: ["us"],
  models: [MODELS.openai],
  monthlyBudgetUsd: 5,
};
const WITHIN = {
  scopes: ["model"],
  expires_in_days: 9,
  rpm: 5,
  tpm: 10_000,
  require_zdr: true,
  regions: ["us"],
  models: [MODELS.openai],
  monthly_budget_usd: 5,
};
const without = (field: keyof typeof WITHIN) => Object.fromEntries(Object.entries(WITHIN).filter(([k]) => k !== field));

/** One looser child per dimension: the restriction dropped, or widened. */
const LOOSER: [string, string, Record<string, unknown>][] = [
  ["a scope the key lacks", "scopes", { ...WITHIN, scopes: ["model", "account", "admin"] }],
  ["no expiry", "expires_in_days", without("expires_in_days")],
  ["a later expiry", "expires_in_days", { ...WITHIN, expires_in_days: 11 }],
  ["no rpm", "rpm", without("rpm")],
  ["a higher rpm", "rpm", { ...WITHIN, rpm: 6 }],
  ["no tpm", "tpm", without("tpm")],
  ["a higher tpm", "tpm", { ...WITHIN, tpm: 10_001 }],
  ["no ZDR requirement", "require_zdr", without("require_zdr")],
  ["ZDR turned off", "require_zdr", { ...WITHIN, require_zdr: false }],
  ["any region", "regions", without("regions")],
  ["another region", "regions", { ...WITHIN, regions: ["us", "eu"] }],
  ["any model", "models", without("models")],
  ["another model", "models", { ...WITHIN, models: [MODELS.openai, MODELS.anthropic] }],
  ["no budget", "monthly_budget_usd", without("monthly_budget_usd")],
  ["a larger budget", "monthly_budget_usd", { ...WITHIN, monthly_budget_usd: 5.01 }],
];

describe("§9 access control: a key mints only keys at most as permissive as itself (issue #16 item 1)", () => {
  test("a child keeping every restriction is issued, with them", async () => {
    const res = await mint({ key: await aliceKey(PARENT) }, WITHIN);
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      rpm: 5,
      tpm: 10_000,
      require_zdr: true,
      regions: ["us"],
      models: [MODELS.openai],
      monthly_budget_usd: 5,
    });
  });

  test.each(LOOSER)("a child with %s is refused 403 naming the dimension", async (_, param, body) => {
    const res = await mint({ key: await aliceKey(PARENT) }, body);
    expect(res.status).toBe(403);
    const text = await expectCleanRefusal(res);
    expect(JSON.parse(text).error).toMatchObject({ type: "permission_error", code: "forbidden", param });
  });

  test("a session keeps the account's full rights: it mints an unrestricted key", async () => {
    const res = await mint({ cookie: target.alice.cookie }, { scopes: ["model", "account"] });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      expires_at: null,
      rpm: null,
      require_zdr: false,
      regions: null,
      models: null,
      monthly_budget_usd: null,
    });
  });

  test("a child of a ZDR-only key is refused the non-ZDR model its parent is refused", async () => {
    const parent = await aliceKey({ requireZdr: true });
    const parentRefusal = await chat(parent);
    expect(parentRefusal.status).toBe(422);
    await parentRefusal.text();
    expect((await mint({ key: parent }, { scopes: ["model"] })).status).toBe(403);
    const child = await json(await mint({ key: parent }, { scopes: ["model"], require_zdr: true }));
    const childRefusal = await chat(child.key);
    expect(childRefusal.status).toBe(422);
    await childRefusal.text();
    // Positive control: the same model answers a key without the requirement.
    const open = await chat(target.alice.key);
    expect(open.status).toBe(200);
    await open.text();
  });

  test("a child of a rate-limited key keeps a rate limit no higher than its parent's", async () => {
    const parent = await aliceKey({ rpm: 1 });
    expect((await mint({ key: parent }, { scopes: ["model"] })).status).toBe(403);
    const child = await json(await mint({ key: parent }, { scopes: ["model"], rpm: 1 }));
    const first = await chat(child.key);
    expect(first.status).toBe(200);
    await first.text();
    const second = await chat(child.key);
    expect(second.status).toBe(429);
    await second.text();
  });
});

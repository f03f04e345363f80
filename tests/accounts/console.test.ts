import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { suspendAccount } from "../../src/accounts/status";
import { runKriora } from "../helpers/cli";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey, makeSessionCookie, openLink } from "../helpers/identity";
import { pricedModels } from "../helpers/billing";
import { usageEvent } from "../helpers/usage";
import { join } from "node:path";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const clock = { t: Date.UTC(2026, 10, 27, 13), now: () => clock.t };
const SAME_SITE = { "sec-fetch-site": "same-origin" };

describe("account routes the console needs", () => {
  test("GET /account/overview: this month's spend (not last month's), the limits in force, public URL and policy version", async () => {
    env = await makeTestEnv(
      `[server]\npublic_url = "https://gw.example"\n[limits]\nrpm = 60\ntpm = 0\nmonthly_budget_usd = 25\n${pricedModels([["m", 1, 2]])}`,
      { clock },
    );
    const { deps } = env;
    const ann = await makeAccount(deps, "ann@example.com");
    deps.usage.record(
      usageEvent(1, { accountId: ann.id, at: Date.UTC(2026, 10, 2), inputTokens: 1_000_000, outputTokens: 0 }),
    );
    deps.usage.record(
      usageEvent(2, { accountId: ann.id, at: Date.UTC(2026, 9, 30), inputTokens: 5_000_000, outputTokens: 0 }),
    );
    await deps.usageWriter.flush();
    const res = await call(createApp(deps), "GET", "/account/overview", {
      cookie: await makeSessionCookie(deps, ann.id),
    });
    expect(await json(res)).toEqual({
      public_url: "https://gw.example",
      billing_mode: "off",
      balance_usd: null,
      month_to_date: { requests: 1, input_tokens: 1_000_000, output_tokens: 0, cost_usd: "1.00" },
      limits: { rpm: 60, tpm: null, concurrency: 32, monthly_budget_usd: "25.00" },
      policy_in_force: "2025-02-27",
    });
  });

  test("POST /auth/logout-all ends every session of the account (audited), not others'; a key cannot do it", async () => {
    env = await makeTestEnv("", { clock });
    const { deps } = env;
    const app = createApp(deps);
    const ann = await makeAccount(deps, "ann@example.com");
    const bob = await makeAccount(deps, "bob@example.com");
    const [laptop, phone, bobs] = [
      await makeSessionCookie(deps, ann.id),
      await makeSessionCookie(deps, ann.id),
      await makeSessionCookie(deps, bob.id),
    ];
    const key = (await makeKey(deps, ann.id)).key;
    expect((await call(app, "POST", "/auth/logout-all", { key })).status).toBe(403);
    const res = await call(app, "POST", "/auth/logout-all", { cookie: laptop, headers: SAME_SITE });
    expect(await json(res)).toEqual({ sessions_ended: 2 });
    expect(res.headers.get("set-cookie")).toContain("Max-Age=0");
    for (const cookie of [laptop, phone]) expect((await call(app, "GET", "/account", { cookie })).status).toBe(401);
    expect((await call(app, "GET", "/account", { cookie: bobs })).status).toBe(200);
    expect((await call(app, "GET", "/account", { key })).status).toBe(200);
    expect((await deps.audit.tail(1))[0]).toMatchObject({ action: "account.sessions_ended", target: ann.id });
    // A cross-site form cannot sign anyone out everywhere.
    const other = await makeSessionCookie(deps, ann.id);
    expect(
      (await call(app, "POST", "/auth/logout-all", { cookie: other, headers: { "sec-fetch-site": "cross-site" } }))
        .status,
    ).toBe(403);
  });
});

describe("kriora accounts login-link (bootstrapping without SMTP)", () => {
  test("--json prints {url, expires_at}: a one-time link to the console's confirm page, audited, that signs in once", async () => {
    env = await makeTestEnv(`[server]\npublic_url = "https://gw.example/"\n`);
    const { deps } = env;
    const admin = await makeAccount(deps, "root@example.com", "admin");
    const out = await runKriora(join(env.dir, "data"), [
      "accounts",
      "login-link",
      "ROOT@example.com",
      "--json",
      "--config",
      join(env.dir, "kriora.toml"),
    ]);
    expect(out.code).toBe(0);
    const link = JSON.parse(out.out) as { url: string; expires_at: string };
    expect(Object.keys(link).sort()).toEqual(["expires_at", "url"]);
    expect(link.url).toStartWith("https://gw.example/auth/verify?token=mlk_");
    expect(Date.parse(link.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect((await deps.audit.tail(1))[0]).toMatchObject({
      actor: "cli",
      action: "account.login_link_issued",
      target: admin.id,
    });
    expect(out.err + JSON.stringify(await deps.audit.tail(5))).not.toContain("root@example.com");
    const app = createApp(deps);
    const signedIn = await openLink(app, link.url);
    expect((await json(signedIn)).account_id).toBe(admin.id);
    expect((await openLink(app, link.url)).status).toBe(401);
  });

  test("a suspended account gets no link (exit 1), an unknown one neither", async () => {
    env = await makeTestEnv("");
    const { deps } = env;
    const held = await makeAccount(deps, "held@example.com");
    await suspendAccount(deps, held.id, "test");
    const data = join(env.dir, "data");
    expect((await runKriora(data, ["accounts", "login-link", "held@example.com"])).code).toBe(1);
    expect((await runKriora(data, ["accounts", "login-link", "nobody@example.com"])).code).toBe(1);
    expect(deps.handle.sqlite.query("SELECT count(*) AS n FROM magic_links").get()).toEqual({ n: 0 });
  });
});

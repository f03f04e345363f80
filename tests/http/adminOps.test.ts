import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { pricedModels } from "../helpers/billing";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { usageEvent } from "../helpers/usage";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const clock = { t: Date.UTC(2026, 10, 27, 13), now: () => clock.t };

async function setUp() {
  env = await makeTestEnv(pricedModels([["m", 1, 2]]), { clock });
  const deps = env.deps;
  const admin = await makeAccount(deps, "ops@example.com", "admin");
  const key = (await makeKey(deps, admin.id, { scopes: ["admin"] })).key;
  return { deps, app: createApp(deps), key };
}

describe("admin operations over HTTP (the console's admin pages; §9 audit)", () => {
  test("GET /admin/providers: configured targets and models, with health from usage metadata only (last 24 h)", async () => {
    const { deps, app, key } = await setUp();
    const at = clock.t - 3_600_000;
    deps.usage.record(usageEvent(1, { at, model: "m", latencyMs: 100 }));
    deps.usage.record(
      usageEvent(2, {
        at,
        model: "m",
        latencyMs: 300,
        status: 502,
        outcome: "upstream_error",
        errorType: "server_error",
      }),
    );
    deps.usage.record(usageEvent(3, { at: clock.t - 48 * 3_600_000, model: "m", status: 500, errorType: "too_old" }));
    await deps.usageWriter.flush();
    const body = await json(await call(app, "GET", "/admin/providers", { key }));
    expect(body.providers).toEqual([
      {
        id: "p",
        kind: "openai",
        zdr: false,
        region: "us",
        health: { requests: 2, success_rate: 0.5, avg_latency_ms: 200, last_error: "server_error" },
      },
    ]);
    expect(body.models).toEqual([{ id: "m", provider: "p", upstream: "m", fallbacks: [] }]);
    expect(JSON.stringify(body)).not.toContain("127.0.0.1");
  });

  test("audit tail and verify; policy status", async () => {
    const { deps, app, key } = await setUp();
    const tail = await json(await call(app, "GET", "/admin/audit?limit=1", { key }));
    expect(tail).toHaveLength(1);
    expect(tail[0]).toMatchObject({ actor: "test", action: "key.issue" });
    expect(JSON.stringify(tail)).not.toContain("@");
    expect(await json(await call(app, "GET", "/admin/audit/verify", { key }))).toEqual({
      ok: true,
      entries: (await deps.audit.tail(1000)).length,
    });
    expect(await json(await call(app, "GET", "/admin/policy", { key }))).toMatchObject({
      version: "2025-02-27",
      verified_accounts: 0,
      notices: { sent: 0, pending: 0, retrying: 0 },
    });
  });

  test("abuse decisions: listed by HMAC, never the address; cleared once (audited), then 404", async () => {
    const { deps, app, key } = await setUp();
    for (let i = 0; i < 20; i++) await deps.abuse.authFailed("198.51.100.9");
    const list = await json(await call(app, "GET", "/admin/abuse", { key }));
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain("198.51.100.9");
    const cleared = await call(app, "POST", `/admin/abuse/${list[0].id}/clear`, { key });
    expect(await json(cleared)).toEqual({ id: list[0].id, cleared: true });
    expect((await deps.audit.tail(1))[0]).toMatchObject({ action: "abuse.clear" });
    expect(await json(await call(app, "GET", "/admin/abuse", { key }))).toEqual([]);
    expect((await call(app, "POST", `/admin/abuse/${list[0].id}/clear`, { key })).status).toBe(404);
  });
});

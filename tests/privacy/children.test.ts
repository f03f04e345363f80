import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SYNC_MS } from "../../src/auth/view";
import { createApp } from "../../src/http/app";
import { listRequests } from "../../src/privacy/rights";
import { runKriora } from "../helpers/cli";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call } from "../helpers/identity";
import { filesHolding, forms, seedPerson } from "../helpers/privacy";

let env: TestEnv | undefined;
afterEach(() => env?.close());

describe("§15 children, §14 erasure by an admin: `kriora accounts delete`", () => {
  test("refuses without --yes off a terminal (exit 2, nothing erased); --reason child erases at once; the keys stop in a running server", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const data = join(env.dir, "data");
    const child = await seedPerson(deps, "kid");
    const app = createApp(deps);

    const unconfirmed = await runKriora(data, ["accounts", "delete", child.email, "--reason", "child"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.err).toContain("--yes");
    expect((await call(app, "GET", "/account", { key: child.key })).status).toBe(200);
    expect((await runKriora(data, ["accounts", "delete", child.id, "--reason", "because", "--yes"])).code).toBe(2);

    const erased = await runKriora(data, ["accounts", "delete", child.email, "--reason", "child", "--yes", "--json"]);
    expect(erased.code).toBe(0);
    expect(erased.err).toContain('"event":"account_erased"');
    expect(erased.err).not.toContain(child.email);
    expect(JSON.parse(erased.out)).toMatchObject({
      account_id: child.id,
      status: "erased",
      reason: "child",
      removed: { keys: 1, usage_events: 2 },
    });

    await Bun.sleep(SYNC_MS); // the running server sees another connection's commit within SYNC_MS
    expect((await call(app, "GET", "/account", { key: child.key })).status).toBe(401);
    expect(filesHolding(deps.config.database.path, [...forms(child.email), ...forms(child.ip), child.keyName])).toEqual(
      [],
    );
    const [request] = await listRequests(deps, { accountId: child.id });
    expect(request).toMatchObject({ kind: "erase", scope: "child", channel: "admin", outcome: "done" });
    expect(request!.completed_at).toBe(request!.received_at);
    const entry = (await deps.audit.tail(1))[0]!;
    expect([entry.actor, entry.action, entry.target, JSON.parse(entry.details).reason]).toEqual([
      "cli",
      "account.erase",
      child.id,
      "child",
    ]);
    expect((await runKriora(data, ["accounts", "delete", child.id, "--yes"])).code).toBe(1);
  });
});

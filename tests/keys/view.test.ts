import { afterEach, describe, expect, test } from "bun:test";
import { SYNC_MS } from "../../src/auth/view";
import { createVerifiedCache } from "../../src/auth/verifiedCache";
import { runCli } from "../../src/cli/run";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeAccount, makeKey } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

/** The CLI in-process on the same data dir: its own connection, as a separate `kriora` process would have; the server sees its commits within SYNC_MS. */
async function cli(args: string[]) {
  const code = await runCli([...args, "--data", `${env!.dir}/data`], { out: () => {}, err: () => {}, env: {} });
  expect(code).toBe(0);
}

describe("§9 access control: the in-memory view follows the database", () => {
  test("`keys revoke` from the CLI, while the server runs, refuses the key within SYNC_MS (100 ms)", async () => {
    env = await makeTestEnv();
    const app = createApp(env.deps);
    const account = await makeAccount(env.deps, "a@example.com");
    const { id, key } = await makeKey(env.deps, account.id);
    expect((await call(app, "GET", "/account", { key })).status).toBe(200);
    await cli(["keys", "revoke", id]);
    await Bun.sleep(SYNC_MS);
    expect((await call(app, "GET", "/account", { key })).status).toBe(401);
  });

  test("`accounts suspend` from the CLI refuses the account's keys within SYNC_MS; `unsuspend` restores them", async () => {
    env = await makeTestEnv();
    const app = createApp(env.deps);
    const account = await makeAccount(env.deps, "a@example.com");
    const { key } = await makeKey(env.deps, account.id);
    await cli(["accounts", "suspend", "A@Example.com"]);
    await Bun.sleep(SYNC_MS);
    expect((await call(app, "GET", "/account", { key })).status).toBe(401);
    await cli(["accounts", "unsuspend", account.id]);
    await Bun.sleep(SYNC_MS);
    expect((await call(app, "GET", "/account", { key })).status).toBe(200);
  });

  test("a verified signature is cached (no second Ed25519 verify), yet revocation still applies within SYNC_MS", async () => {
    env = await makeTestEnv();
    const app = createApp(env.deps);
    const account = await makeAccount(env.deps, "a@example.com");
    const { id, key } = await makeKey(env.deps, account.id);
    const view = env.deps.authView;
    const lookup = view.verificationKey;
    let lookups = 0;
    view.verificationKey = (kid) => {
      lookups++;
      return lookup(kid);
    };
    for (let i = 0; i < 3; i++) expect((await call(app, "GET", "/account", { key })).status).toBe(200);
    expect(lookups).toBe(1);
    await cli(["keys", "revoke", id]);
    await Bun.sleep(SYNC_MS);
    expect((await call(app, "GET", "/account", { key })).status).toBe(401);
  });

  test("the verification cache is bounded (oldest out first) and holds nothing past its deadline", () => {
    const cache = createVerifiedCache<string>(2);
    cache.set("t1", "a", 100);
    cache.set("t2", "b", 100);
    cache.set("t3", "c", 100);
    expect(cache.get("t1", 0)).toBeUndefined();
    expect(cache.get("t2", 0)).toBe("b");
    expect(cache.get("t3", 99)).toBe("c");
    expect(cache.get("t3", 100)).toBeUndefined();
  });
});

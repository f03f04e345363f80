import { skipWithout } from "../helpers/services";
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { suspendAccount } from "../../src/accounts/status";
import { revokeKey } from "../../src/keys/apiKeys";
import { rotateKeyring } from "../../src/keys/keyring";
import { PRICED_MODEL } from "../helpers/billing";
import { makeTestEnv } from "../helpers/deps";
import { providerToml } from "../helpers/gateway";
import { makeAccount, makeKey } from "../helpers/identity";
import { usageEvent } from "../helpers/usage";
import { databaseEnv } from "../helpers/pg";
import { serveWorkspace, startServe } from "../helpers/process";

const MAIN = join(import.meta.dir, "../../src/main.ts");

/**
 * Revocation across processes without Redis. On SQLite a running serve sees another process's
 * commit through data_version; on PostgreSQL through the auth version that only writes to accounts,
 * keys and the keyring bump (drizzle-pg/0003_auth_version): usage flushes leave it alone.
 */
describe.skipIf(skipWithout("postgres"))("PostgreSQL: what moves the auth version", () => {
  test("accounts, keys and the keyring do; usage flushes, billing and audit writes do not", async () => {
    const env = await makeTestEnv(PRICED_MODEL);
    try {
      const { deps } = env;
      const account = await makeAccount(deps, "version@example.com");
      const key = await makeKey(deps, account.id);
      const start = await deps.handle.dataVersion();
      for (let i = 0; i < 5; i++) deps.usageWriter.record(usageEvent(i, { accountId: account.id, keyId: key.id }));
      await deps.usageWriter.flush();
      await deps.billing.changeCredits({ accountId: account.id, kind: "grant", amountMicros: 5, reason: "t" }, "test");
      await deps.audit.record({ actor: "cli", action: "test.action", target: account.id });
      expect(await deps.handle.dataVersion()).toBe(start);
      await revokeKey(deps, key.id, "test");
      const revoked = await deps.handle.dataVersion();
      expect(revoked).toBeGreaterThan(start);
      await suspendAccount(deps, account.id, "test");
      const suspended = await deps.handle.dataVersion();
      expect(suspended).toBeGreaterThan(revoked);
      await rotateKeyring(deps, "test");
      expect(await deps.handle.dataVersion()).toBeGreaterThan(suspended);
    } finally {
      await env.close();
    }
  });
});

describe.skipIf(skipWithout("postgres"))("PostgreSQL: a key revoked by another process", () => {
  const { dir, fake, config, data } = serveWorkspace("kriora-cross-process-");

  /** `kriora <args>` as its own process on the workspace's database. */
  async function kriora(...args: string[]): Promise<string> {
    const run = Bun.spawnSync([process.execPath, MAIN, ...args, "--json", "--data", data, "--config", config], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...(await databaseEnv(data)) },
    });
    expect([args.join(" "), run.exitCode, run.stderr.toString()]).toEqual([args.join(" "), 0, ""]);
    return run.stdout.toString();
  }

  test("is refused by a running serve within 1 s; other keys keep working", async () => {
    writeFileSync(config, providerToml({ id: "oa", kind: "openai", url: fake.url }));
    await kriora("accounts", "create", "--email", "cross@example.com");
    const kept = JSON.parse(await kriora("keys", "issue", "--account", "cross@example.com")) as { key: string };
    const doomed = JSON.parse(await kriora("keys", "issue", "--account", "cross@example.com")) as {
      id: string;
      key: string;
    };
    const served = await startServe([process.execPath, MAIN, "serve", "--data", data, "--config", config], dir, {
      FAKE_OPENAI_KEY: "sk-provider",
    });
    try {
      const chat = async (key: string) => {
        const res = await fetch(`${served.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "fine", messages: [{ role: "user", content: "hi" }] }),
        });
        await res.text();
        return res.status;
      };
      const burst = (key: string) => Promise.all(Array.from({ length: 8 }, () => chat(key)));
      expect(await burst(doomed.key)).toEqual(Array(8).fill(200));

      await kriora("keys", "revoke", doomed.id);
      await Bun.sleep(1_000);
      expect(await burst(doomed.key)).toEqual(Array(8).fill(401));
      expect(await burst(kept.key)).toEqual(Array(8).fill(200));
    } finally {
      expect(await served.stop()).toBe(0);
    }
  }, 30_000);
});

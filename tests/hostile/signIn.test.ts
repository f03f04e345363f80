import { afterEach, describe, expect, test } from "bun:test";
import { redeemMagicLink } from "../../src/accounts/magicLinks";
import { MAILS_PER_ADDRESS } from "../../src/auth/throttle";
import type { Deps } from "../../src/deps";
import { createApp } from "../../src/http/app";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeAccount } from "../helpers/identity";

let env: TestEnv | undefined;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  env?.close();
  env = undefined;
});

const clock = {
  t: Date.UTC(2026, 0, 1),
  now() {
    return this.t;
  },
};

/** The real server behind a (trusted) proxy on loopback, with every mailed sign-in token kept in order. */
async function target() {
  clock.t = Date.UTC(2026, 0, 1);
  env = await makeTestEnv("[server]\nport = 0\ntrust_proxy = true\n", { clock });
  server = startServer(env.deps);
  const mailed: { to: string; token: string }[] = [];
  env.deps.mailer.send = async (m) => {
    mailed.push({ to: m.to, token: decodeURIComponent(/token=([^\s]+)/.exec(m.text)![1]!) });
    return true;
  };
  const url = server.url;
  const login = (email: string, ip: string) =>
    fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify({ email }),
    }).then((r) => r.status);
  return { deps: env.deps, mailed, login };
}

describe("hostile: requests for someone else's address cannot lock them out of signing in", () => {
  test("8 requests for a victim's address from one IP: that IP gets 429 from the 6th; the owner from another IP gets 202 and holds a working link", async () => {
    const { deps, mailed, login } = await target();
    const victim = await makeAccount(deps, "victim@example.com");
    const attacker = "203.0.113.66";
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) answers.push(await login("victim@example.com", attacker));
    expect(answers).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);

    expect(await login("Victim@Example.com", "198.51.100.10")).toBe(202);
    // The burst filled the address's mail cap for this 15-minute window: the owner's mailbox already
    // holds links mailed within it, and each still works.
    expect(mailed.length).toBe(MAILS_PER_ADDRESS);
    expect(await redeemMagicLink(deps, mailed.at(-1)!.token)).toBe(victim.id);
    // The next window mails the owner a fresh link, however the attacker carries on.
    clock.t += 15 * 60_000;
    expect(await login("victim@example.com", "198.51.100.10")).toBe(202);
    expect(mailed.length).toBe(MAILS_PER_ADDRESS + 1);
    expect(await redeemMagicLink(deps, mailed.at(-1)!.token)).toBe(victim.id);
  });

  test("the per-address mail cap holds against requests from many IPs: 4 per 15 minutes, 16 in an hour, and never a 429", async () => {
    const { deps, mailed, login } = await target();
    await makeAccount(deps, "flooded@example.com");
    const answers = new Set<number>();
    for (let quarter = 0; quarter < 4; quarter++) {
      for (let i = 0; i < 12; i++)
        answers.add(await login("flooded@example.com", `198.51.100.${quarter * 12 + i + 1}`));
      clock.t += 15 * 60_000;
    }
    expect([...answers]).toEqual([202]);
    expect(mailed.length).toBe(4 * MAILS_PER_ADDRESS);
    expect(mailed.every((m) => m.to === "flooded@example.com")).toBe(true);
  });
});

describe("hostile: /auth/login does the same work whether or not the address has an account", () => {
  /**
   * Counts the calls each request makes into the parts that cost time: HMAC lookups, data keys
   * made (each wraps a key and encrypts the address under it), transactions.
   */
  function instrument(deps: Deps) {
    const counts = { blindIndex: 0, encrypt: 0, transaction: 0 };
    const { cipher, dataKeys } = deps;
    const { sqlite } = deps.handle;
    const blindIndex = cipher.blindIndex.bind(cipher);
    const mint = dataKeys.mint.bind(dataKeys);
    const run = sqlite.run.bind(sqlite);
    cipher.blindIndex = (...a) => (counts.blindIndex++, blindIndex(...a));
    dataKeys.mint = (...a) => (counts.encrypt++, mint(...a));
    // Every transaction of the storage helpers begins with this statement on the connection.
    sqlite.run = ((query: string, ...rest: never[]) => {
      if (query.startsWith("BEGIN")) counts.transaction++;
      return run(query, ...rest);
    }) as typeof sqlite.run;
    return () => {
      const seen = { ...counts };
      counts.blindIndex = counts.encrypt = counts.transaction = 0;
      return seen;
    };
  }

  test("a known and an unknown address: the same lookups, token, encryption and transaction (counted, not timed)", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    await makeAccount(deps, "known@example.com");
    const app = createApp(deps);
    let mails = 0;
    deps.mailer.send = async () => (mails++, true);
    const take = instrument(deps);
    expect((await call(app, "POST", "/auth/login", { body: { email: "known@example.com" } })).status).toBe(202);
    const known = take();
    expect((await call(app, "POST", "/auth/login", { body: { email: "nobody@example.com" } })).status).toBe(202);
    const unknown = take();
    expect(known).toEqual(unknown);
    expect(known.encrypt).toBeGreaterThanOrEqual(1);
    expect(known.transaction).toBeGreaterThanOrEqual(1);
    // Positive control: only the known address was mailed.
    expect(mails).toBe(1);
  });
});

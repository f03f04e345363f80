import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ABUSE } from "../../src/limits/abuse";
import { runKriora } from "../helpers/cli";
import { json } from "../helpers/http";
import { makeAccount, makeKey } from "../helpers/identity";
import { serverPerTest } from "../helpers/serverPerTest";

const serve = serverPerTest();

const ATTACKER = "203.0.113.66";
const NEIGHBOUR = "198.51.100.7";

/** The real server behind a trusted proxy on loopback: each request names its client in X-Forwarded-For. */
async function setup() {
  const { env, url } = await serve('trusted_proxies = ["127.0.0.1/32", "::1"]');
  const from = (ip: string, key: string) =>
    fetch(`${url}/account`, { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": ip } });
  return { env, from };
}

describe("§5 detect abuse: failed-authentication bursts", () => {
  test("20 failed authentications from one address block it, even with a good key; other addresses are unaffected", async () => {
    const { env, from } = await setup();
    const account = await makeAccount(env.deps, "abuse-victim@example.com");
    const { key } = await makeKey(env.deps, account.id);
    expect((await from(ATTACKER, key)).status).toBe(200);
    for (let i = 0; i < ABUSE.authFailures; i++) expect((await from(ATTACKER, "kr_not.a.key")).status).toBe(401);

    const blocked = await from(ATTACKER, key);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await json(blocked)).error.type).toBe("rate_limit_error");
    expect((await from(NEIGHBOUR, key)).status).toBe(200);
    expect((await from(NEIGHBOUR, "kr_not.a.key")).status).toBe(401);
  });

  test("19 failures do not block", async () => {
    const { env, from } = await setup();
    const { key } = await makeKey(env.deps, (await makeAccount(env.deps, "a@example.com")).id);
    for (let i = 0; i < ABUSE.authFailures - 1; i++) await from(ATTACKER, "kr_bad");
    expect((await from(ATTACKER, key)).status).toBe(200);
  });

  test("the decision is audited and listed by its HMAC; the address itself is in no database file", async () => {
    const { env, from } = await setup();
    for (let i = 0; i < ABUSE.authFailures; i++) await from(ATTACKER, "kr_bad");
    const [flag] = await env.deps.abuse.active();
    expect(flag).toMatchObject({ kind: "address_block", subject: env.deps.cipher.blindIndex("address", ATTACKER) });
    expect((await env.deps.audit.tail(5)).map((r) => r.action)).toContain("abuse.address_block");
    env.deps.handle.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const bytes = readFileSync(env.deps.config.database.path);
    expect(bytes.includes(ATTACKER)).toBe(false);
    // Positive control: the scan finds what is stored in clear.
    expect(bytes.includes(flag!.id)).toBe(true);
    expect(env.log.text()).not.toContain(ATTACKER);
  });

  test("`kriora abuse list` shows the block and `abuse clear` lifts it for the running server", async () => {
    const { env, from } = await setup();
    const { key } = await makeKey(env.deps, (await makeAccount(env.deps, "b@example.com")).id);
    for (let i = 0; i < ABUSE.authFailures; i++) await from(ATTACKER, "kr_bad");
    expect((await from(ATTACKER, key)).status).toBe(429);

    const listed = await runKriora(`${env.dir}/data`, ["abuse", "list", "--json"]);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.out);
    expect(rows.length).toBe(1);
    expect(listed.out).not.toContain(ATTACKER);

    const cleared = await runKriora(`${env.dir}/data`, ["abuse", "clear", rows[0].id]);
    expect(cleared.code).toBe(0);
    expect((await from(ATTACKER, key)).status).toBe(200);
    expect((await runKriora(`${env.dir}/data`, ["abuse", "clear", rows[0].id])).code).toBe(1);
  });
});

describe("§5 detect abuse: a key used from unusually many addresses", () => {
  test("is flagged once, audited, and the key keeps working (an admin decides)", async () => {
    const { env } = await setup();
    const abuse = env.deps.abuse;
    for (let i = 0; i <= ABUSE.keyAddresses; i++) await abuse.keyUsed("key_x", `192.0.2.${i}`);
    for (let i = 0; i < 5; i++) await abuse.keyUsed("key_x", `192.0.2.${100 + i}`);
    const flags = (await abuse.active()).filter((f) => f.kind === "key_many_addresses");
    expect(flags.length).toBe(1);
    expect(flags[0]!.subject).toBe("key_x");
    expect(await abuse.blockedFor("192.0.2.1")).toBeNull();
  });

  test("repeated use from the same few addresses is not flagged", async () => {
    const { env } = await setup();
    for (let n = 0; n < 100; n++) await env.deps.abuse.keyUsed("key_y", `192.0.2.${n % 5}`);
    expect(await env.deps.abuse.active()).toEqual([]);
  });
});

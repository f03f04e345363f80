import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { startServer, type RunningServer } from "../../src/http/serve";
import { suspendAccount } from "../../src/accounts/status";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount, openLink } from "../helpers/identity";
import { startSmtp, type TestSmtp } from "../helpers/smtp";

let env: TestEnv | undefined;
let smtp: TestSmtp | undefined;
/** A real server a test started, so requests have a socket peer (the trusted proxy). */
let stopAfter: RunningServer | undefined;
afterEach(async () => {
  await stopAfter?.stop();
  stopAfter = undefined;
  env?.close();
  env = undefined;
  await smtp?.stop();
  smtp = undefined;
});

const clock = {
  t: Date.UTC(2026, 0, 1),
  now() {
    return this.t;
  },
};

async function setUp(extra = "") {
  clock.t = Date.UTC(2026, 0, 1);
  smtp = await startSmtp();
  env = await makeTestEnv(
    `[server]\npublic_url = "https://kriora.example"\n${extra}\n[mail]\nsmtp_url = "${smtp.url}"\nfrom = "kriora@kriora.example"\n`,
    { clock },
  );
  return { deps: env.deps, app: createApp(env.deps), smtp };
}

const linkIn = (text: string) => {
  const match = /https:\/\/kriora\.example(\/auth\/verify\?token=[^\s]+)/.exec(text);
  if (!match) throw new Error("no link in the mail");
  return match[1]!;
};

const signup = { email: "New.Person@Example.com", age_confirmed: true, accept_policy: true };

describe("§2 email only: sign-up and sign-in by magic link over real SMTP", () => {
  test("sign-up mails a link to a real SMTP server; it signs in once, and a second use fails", async () => {
    const { app, smtp } = await setUp();
    const res = await call(app, "POST", "/auth/signup", { body: signup });
    expect(res.status).toBe(202);
    const mail = await smtp.next();
    expect(mail.to).toEqual(["new.person@example.com"]);
    const path = linkIn(mail.text);

    const first = await openLink(app, path);
    expect(first.status).toBe(200);
    const cookie = first.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^kriora_session=ses_/);
    const me = await json(await call(app, "GET", "/account", { cookie: cookie.split(";")[0] }));
    expect(me).toMatchObject({
      email: "new.person@example.com",
      status: "active",
      role: "user",
      policy_version: "2025-02-27",
    });
    expect(me.verified_at).not.toBeNull();
    expect(me.age_confirmed_at).not.toBeNull();
    expect(me.policy_accepted_at).not.toBeNull();

    const second = await openLink(app, path);
    expect(second.status).toBe(401);
    expect(second.headers.get("set-cookie")).toBeNull();
  });

  test("sign-in: the same 202 whether or not the address has an account; only the real one gets mail", async () => {
    const { deps, app, smtp } = await setUp();
    await makeAccount(deps, "known@example.com");
    const unknown = await call(app, "POST", "/auth/login", { body: { email: "nobody@example.com" } });
    const known = await call(app, "POST", "/auth/login", { body: { email: "KNOWN@example.com " } });
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(await unknown.text()).toBe(await known.text());
    const mail = await smtp.next();
    expect(mail.to).toEqual(["known@example.com"]);
    expect((await openLink(app, linkIn(mail.text))).status).toBe(200);
    await Bun.sleep(200);
    expect(smtp.messages).toHaveLength(1);
  });

  test("sign-up of an address that already has an account answers the same and mails a sign-in link", async () => {
    const { deps, app, smtp } = await setUp();
    const existing = await makeAccount(deps, "new.person@example.com");
    const res = await call(app, "POST", "/auth/signup", { body: signup });
    expect(res.status).toBe(202);
    const verified = await openLink(app, linkIn((await smtp.next()).text));
    expect((await json(verified)).account_id).toBe(existing.id);
  });

  test("a suspended account is told the same 202 and gets no link", async () => {
    const { deps, app, smtp } = await setUp();
    const account = await makeAccount(deps, "held@example.com");
    await suspendAccount(deps, account.id, "test");
    expect((await call(app, "POST", "/auth/login", { body: { email: "held@example.com" } })).status).toBe(202);
    await Bun.sleep(200);
    expect(smtp.messages).toHaveLength(0);
  });

  test("a link expires after 15 minutes", async () => {
    const { deps, app, smtp } = await setUp();
    await makeAccount(deps, "late@example.com");
    await call(app, "POST", "/auth/login", { body: { email: "late@example.com" } });
    const path = linkIn((await smtp.next()).text);
    clock.t += 15 * 60_000 + 1;
    expect((await openLink(app, path)).status).toBe(401);
  });

  test("a forged token for a real link id is refused and does not burn the link", async () => {
    const { deps, app, smtp } = await setUp();
    await makeAccount(deps, "real@example.com");
    await call(app, "POST", "/auth/login", { body: { email: "real@example.com" } });
    const path = linkIn((await smtp.next()).text);
    const forged = path.replace(/token=([^.]+)\..*/, `token=$1.${"A".repeat(43)}`);
    expect((await openLink(app, forged)).status).toBe(401);
    expect((await openLink(app, path)).status).toBe(200);
  });

  test("only a hash of the link's secret is stored", async () => {
    const { deps, app, smtp } = await setUp();
    await makeAccount(deps, "hash@example.com");
    await call(app, "POST", "/auth/login", { body: { email: "hash@example.com" } });
    const token = decodeURIComponent(linkIn((await smtp.next()).text).split("token=")[1]!);
    const secret = token.split(".")[1]!;
    const rows = deps.handle.sqlite.query("SELECT * FROM magic_links").all();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(rows)).toContain(new Bun.CryptoHasher("sha256").update(secret).digest("hex"));
  });
});

describe("§15 children: sign-up requires the minimum-age confirmation", () => {
  test("without age confirmation: a clear 400 naming the minimum age, and nothing is sent or stored", async () => {
    const { deps, app, smtp } = await setUp();
    for (const body of [
      { ...signup, age_confirmed: false },
      { email: signup.email, accept_policy: true },
    ]) {
      const res = await call(app, "POST", "/auth/signup", { body });
      expect(res.status).toBe(400);
      const { error } = await json(res);
      expect(error.param).toBe("age_confirmed");
      expect(error.message).toContain("at least 13 years old");
    }
    await Bun.sleep(200);
    expect(smtp.messages).toHaveLength(0);
    expect(deps.handle.sqlite.query("SELECT count(*) AS n FROM magic_links").get()).toEqual({ n: 0 });
  });

  test("§7 consent: without accepting the policy in force, sign-up is refused too", async () => {
    const { app } = await setUp();
    const res = await call(app, "POST", "/auth/signup", { body: { ...signup, accept_policy: false } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.param).toBe("accept_policy");
  });
});

describe("§5 abuse prevention: magic-link throttles", () => {
  test("per address and client: the 6th request for one address from one client in 15 minutes is 429 whether or not the address exists; later it is allowed again", async () => {
    const { app } = await setUp();
    const email = "ghost@example.com";
    for (let i = 0; i < 5; i++) expect((await call(app, "POST", "/auth/login", { body: { email } })).status).toBe(202);
    const limited = await call(app, "POST", "/auth/login", { body: { email: "GHOST@example.com" } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    clock.t += 15 * 60_000;
    expect((await call(app, "POST", "/auth/login", { body: { email: "ghost@example.com" } })).status).toBe(202);
  });

  test("per IP (behind a trusted proxy): the 21st request from one address is 429, another IP is not held back", async () => {
    const { deps } = await setUp('port = 0\ntrusted_proxies = ["127.0.0.1"]');
    const running = startServer(deps);
    stopAfter = running;
    const from = (ip: string, i: number) =>
      fetch(`${running.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": ip },
        body: JSON.stringify({ email: `u${i}@example.com` }),
      });
    for (let i = 0; i < 20; i++) expect((await from("203.0.113.7", i)).status).toBe(202);
    expect((await from("203.0.113.7", 99)).status).toBe(429);
    expect((await from("198.51.100.1", 100)).status).toBe(202);
  });
});

describe("§2 no content in logs: without SMTP the link cannot be sent", () => {
  test("202 as usual, and one log event that names neither the address nor the token", async () => {
    env = await makeTestEnv();
    const app = createApp(env.deps);
    await makeAccount(env.deps, "quiet@example.com");
    const res = await call(app, "POST", "/auth/login", { body: { email: "quiet@example.com" } });
    expect(res.status).toBe(202);
    await Bun.sleep(20);
    const events = env.log.lines.map((l) => JSON.parse(l));
    expect(events.find((e) => e.event === "mail_not_sent")).toMatchObject({
      kind: "magic_link_login",
      reason: "smtp_not_configured",
    });
    const { id } = env.deps.handle.sqlite.query("SELECT id FROM magic_links").get() as { id: string };
    expect(env.log.text()).not.toContain("quiet@example.com");
    expect(env.log.text()).not.toContain(id);
  });
});

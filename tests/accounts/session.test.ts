import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { setAccountEmail } from "../../src/accounts/accounts";
import { redeemMagicLink, requestLoginLink } from "../../src/accounts/magicLinks";
import { SESSION_TTL_MS } from "../../src/accounts/sessions";
import { suspendAccount } from "../../src/accounts/status";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeAccount, makeKey, makeSessionCookie, openLink } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const clock = {
  t: Date.UTC(2026, 0, 1),
  now() {
    return this.t;
  },
};

async function setUp(publicUrl = "https://kriora.example") {
  clock.t = Date.UTC(2026, 0, 1);
  env = await makeTestEnv(`[server]\npublic_url = "${publicUrl}"\n`, { clock });
  const account = await makeAccount(env.deps, "s@example.com");
  return { deps: env.deps, app: createApp(env.deps), account };
}

/** The Set-Cookie of `POST /auth/verify` for a fresh login link (the mail itself is tested with real SMTP elsewhere). */
async function signIn(deps: TestEnv["deps"], app: ReturnType<typeof createApp>, email: string) {
  let token = "";
  const send = deps.mailer.send;
  deps.mailer.send = async (m) => {
    token = /token=([^\s]+)/.exec(m.text)![1]!;
    return true;
  };
  await requestLoginLink(deps, email);
  deps.mailer.send = send;
  return openLink(app, `/auth/verify?token=${token}`);
}

describe("§11 cookies: the session cookie only authenticates, and is locked down", () => {
  test("HttpOnly, SameSite=Lax, Path=/, a Max-Age, and Secure when the public URL is https", async () => {
    const { deps, app } = await setUp();
    const cookie = (await signIn(deps, app, "s@example.com")).headers.get("set-cookie")!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    expect(cookie).toContain("; Secure");
  });

  test("no Secure flag when the public URL is plain http (a local set-up)", async () => {
    const { deps, app } = await setUp("http://127.0.0.1:8080");
    const cookie = (await signIn(deps, app, "s@example.com")).headers.get("set-cookie")!;
    expect(cookie).not.toContain("Secure");
    expect(cookie).toContain("HttpOnly");
  });

  test("the token is id.secret and only SHA-256 of the secret is stored", async () => {
    const { deps, account } = await setUp();
    const token = (await makeSessionCookie(deps, account.id)).split("=")[1]!;
    const [id, secret] = token.split(".");
    const row = deps.handle.sqlite.query("SELECT * FROM sessions WHERE id = ?").get(id!) as Record<string, unknown>;
    expect(row.secret_hash).toBe(createHash("sha256").update(secret!).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(secret!);
  });

  test("a forged secret for a real session id, or an expired session, is 401", async () => {
    const { deps, app, account } = await setUp();
    const cookie = await makeSessionCookie(deps, account.id);
    expect((await call(app, "GET", "/account", { cookie })).status).toBe(200);
    const forged = cookie.replace(/\.[^.]+$/, `.${"B".repeat(43)}`);
    expect((await call(app, "GET", "/account", { cookie: forged })).status).toBe(401);
    clock.t += SESSION_TTL_MS;
    expect((await call(app, "GET", "/account", { cookie })).status).toBe(401);
  });

  test("logout ends the session on the server and clears the cookie", async () => {
    const { deps, app, account } = await setUp();
    const cookie = await makeSessionCookie(deps, account.id);
    const res = await call(app, "POST", "/auth/logout", { cookie, headers: { origin: "https://kriora.example" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await call(app, "GET", "/account", { cookie })).status).toBe(401);
  });

  test("a session of an account suspended meanwhile is 401", async () => {
    const { deps, app, account } = await setUp();
    const cookie = await makeSessionCookie(deps, account.id);
    await suspendAccount(deps, account.id, "test");
    expect((await call(app, "GET", "/account", { cookie })).status).toBe(401);
  });

  test("a link cannot be redeemed for an account suspended after it was sent", async () => {
    const { deps, account } = await setUp();
    let token = "";
    deps.mailer.send = async (m) => {
      token = /token=([^\s]+)/.exec(m.text)![1]!;
      return true;
    };
    await requestLoginLink(deps, "s@example.com");
    await suspendAccount(deps, account.id, "test");
    expect(await redeemMagicLink(deps, decodeURIComponent(token))).toBeNull();
  });

  test("links mailed to the old address stop working once the address changes; a link to the new one works", async () => {
    const { deps, account } = await setUp();
    const tokens: string[] = [];
    deps.mailer.send = async (m) => {
      tokens.push(decodeURIComponent(/token=([^\s]+)/.exec(m.text)![1]!));
      return true;
    };
    await requestLoginLink(deps, "s@example.com");
    await requestLoginLink(deps, "s@example.com");
    await setAccountEmail(deps, account.id, "new@example.com", "test");
    expect(await Promise.all(tokens.slice(0, 2).map((t) => redeemMagicLink(deps, t)))).toEqual([null, null]);
    await requestLoginLink(deps, "new@example.com");
    expect(await redeemMagicLink(deps, tokens[2]!)).toBe(account.id);
  });
});

describe("§9 access control: state-changing cookie requests must come from our own origin", () => {
  const patch = (app: ReturnType<typeof createApp>, cookie: string, headers: Record<string, string>) =>
    call(app, "PATCH", "/account", { cookie, headers, body: { require_zdr: true } });

  test("refused (403) cross-site, from another origin, or with no provenance at all", async () => {
    const { deps, app, account } = await setUp();
    const cookie = await makeSessionCookie(deps, account.id);
    expect(
      (await patch(app, cookie, { "sec-fetch-site": "cross-site", origin: "https://kriora.example" })).status,
    ).toBe(403);
    expect((await patch(app, cookie, { "sec-fetch-site": "same-site" })).status).toBe(403);
    expect((await patch(app, cookie, { origin: "https://evil.example" })).status).toBe(403);
    expect((await patch(app, cookie, {})).status).toBe(403);
    expect(
      (await call(app, "POST", "/auth/logout", { cookie, headers: { origin: "https://evil.example" } })).status,
    ).toBe(403);
  });

  test("allowed from our origin or same-origin fetches; reads and API keys need neither", async () => {
    const { deps, app, account } = await setUp();
    const cookie = await makeSessionCookie(deps, account.id);
    expect((await patch(app, cookie, { origin: "https://kriora.example" })).status).toBe(200);
    expect((await patch(app, cookie, { "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await call(app, "GET", "/account", { cookie })).status).toBe(200);
    const { key } = await makeKey(deps, account.id);
    expect((await call(app, "PATCH", "/account", { key, body: { require_zdr: false } })).status).toBe(200);
  });
});

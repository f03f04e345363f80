import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApp } from "../../src/http/app";
import { listRequests } from "../../src/privacy/rights";
import { runKriora } from "../helpers/cli";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey, openLink } from "../helpers/identity";
import { mailEnvs, steppingClock } from "../helpers/mailEnv";

const mail = mailEnvs();
const clock = steppingClock();

async function setUp() {
  clock.t = Date.UTC(2026, 10, 27, 12);
  const env = await mail.open(
    (url) => `[server]\npublic_url = "https://kriora.example"\n[mail]\nsmtp_url = "${url}"\n`,
    clock,
  );
  const deps = env.deps;
  const ann = await makeAccount(deps, "ann@example.com");
  return { env, deps, app: createApp(deps), smtp: env.smtp, ann, key: (await makeKey(deps, ann.id)).key };
}

const linkIn = (text: string) => /https:\/\/kriora\.example(\/account\/email\/verify\?token=\S+)/.exec(text)![1]!;

describe("§14 correction (Art. 16): the new address is verified before it replaces the old one", () => {
  test("POST /account/email mails the new address; the account changes only when that link is opened, once; ledger and audit record it", async () => {
    const { deps, app, smtp, ann, key } = await setUp();
    const res = await call(app, "POST", "/account/email", { key, body: { email: "Ann.New@Example.com" } });
    expect(res.status).toBe(202);
    const mail = await smtp.next();
    expect(mail.to).toEqual(["ann.new@example.com"]);
    expect((await json(await call(app, "GET", "/account", { key }))).email).toBe("ann@example.com");
    expect((await listRequests(deps))[0]).toMatchObject({ kind: "rectify", completed_at: null });

    const path = linkIn(mail.text);
    const opened = await openLink(app, path);
    expect(opened.status).toBe(200);
    expect((await json(opened)).email).toBe("ann.new@example.com");
    expect((await json(await call(app, "GET", "/account", { key }))).email).toBe("ann.new@example.com");
    expect((await openLink(app, path)).status).toBe(401);
    expect((await listRequests(deps))[0]).toMatchObject({ kind: "rectify", outcome: "done" });
    const actions = (await deps.audit.tail(3)).map((e) => [e.action, e.target]);
    expect(actions).toContainEqual(["account.email_change_requested", ann.id]);
    expect(actions).toContainEqual(["account.set_email", ann.id]);
    expect(JSON.stringify(await deps.audit.tail(10))).not.toContain("@");
  });

  test("an expired link or an address taken meanwhile changes nothing and lets the request lapse", async () => {
    const { deps, app, smtp, ann, key } = await setUp();
    await call(app, "POST", "/account/email", { key, body: { email: "late@example.com" } });
    const expired = linkIn((await smtp.next()).text);
    clock.t += 25 * 3_600_000;
    expect((await openLink(app, expired)).status).toBe(401);

    await call(app, "POST", "/account/email", { key, body: { email: "taken@example.com" } });
    const taken = linkIn((await smtp.next()).text);
    await makeAccount(deps, "taken@example.com");
    expect((await openLink(app, taken)).status).toBe(409);
    expect((await json(await call(app, "GET", "/account", { key }))).email).toBe("ann@example.com");
    expect((await listRequests(deps, { accountId: ann.id })).map((r) => r.outcome)).toEqual(["lapsed", "lapsed"]);
  });

  test("an admin's `kriora accounts set-email` is recorded in the rights ledger as a done correction", async () => {
    const { env, deps, ann } = await setUp();
    const res = await runKriora(join(env.dir, "data"), [
      "accounts",
      "set-email",
      ann.id,
      "fixed@example.com",
      "--json",
    ]);
    expect([res.code, JSON.parse(res.out).email]).toEqual([0, "fixed@example.com"]);
    expect(await listRequests(deps)).toMatchObject([
      { account_id: ann.id, kind: "rectify", channel: "admin", outcome: "done" },
    ]);
  });
});

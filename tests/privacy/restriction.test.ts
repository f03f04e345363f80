import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { accounts, usageEvents } from "../../src/db/schema";
import { createApp } from "../../src/http/app";
import { DAY_MS } from "../../src/lib/clock";
import { suspendAccount, unsuspendAccount } from "../../src/accounts/status";
import { liftRestriction } from "../../src/privacy/restriction";
import { runRetention } from "../../src/privacy/retention";
import { listRequests } from "../../src/privacy/rights";
import { json } from "../helpers/http";
import { call } from "../helpers/identity";
import { seedPerson } from "../helpers/privacy";
import { mailEnvs, steppingClock, type MailEnv } from "../helpers/mailEnv";
import { one, all } from "../../src/db/tx";

const mail = mailEnvs();
const clock = steppingClock();

async function setUp(smtpUrl?: string) {
  clock.t = Date.UTC(2026, 10, 27, 12);
  const env = await mail.open(
    (url) => `[mail]\nsmtp_url = "${smtpUrl ?? url}"\nfrom = "kriora@kriora.example"\n`,
    clock,
  );
  return { env, deps: env.deps, app: createApp(env.deps), smtp: env.smtp };
}

const statusOf = async (deps: MailEnv["deps"], id: string) =>
  (await one(deps.db.select({ s: accounts.status }).from(accounts).where(eq(accounts.id, id))))!.s;

describe("§14 restriction (Art. 18): keys stop, data stays, lifting it tells the person first", () => {
  test("POST /account/restrict: the key is refused on the model API at once; the person can still read and export their data; retention keeps it", async () => {
    const { deps, app } = await setUp();
    const ann = await seedPerson(deps, "ann");
    const bob = await seedPerson(deps, "bob");
    const res = await call(app, "POST", "/account/restrict", { key: ann.key });
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe("restricted");
    expect((await call(app, "GET", "/v1/models", { key: ann.key })).status).toBe(403);
    expect(
      (
        await call(app, "POST", "/v1/chat/completions", {
          key: ann.key,
          body: { model: "m", messages: [{ role: "user", content: "hi" }] },
        })
      ).status,
    ).toBe(403);
    expect((await call(app, "GET", "/v1/models", { key: bob.key })).status).toBe(200);
    const exported = await json(await call(app, "POST", "/account/export", { key: ann.key }));
    expect(exported.usage.events.map((e: { ip: string }) => e.ip)).toEqual([ann.ip, ann.ip]);
    expect((await listRequests(deps, { accountId: ann.id })).map((r) => [r.kind, r.outcome])).toEqual([
      ["restrict", "done"],
      ["access", "done"],
    ]);
    expect((await call(app, "POST", "/account/restrict", { key: ann.key })).status).toBe(409);

    clock.t += 400 * DAY_MS;
    await runRetention(deps);
    const rows = async (id: string) =>
      await all(deps.db.select().from(usageEvents).where(eq(usageEvents.accountId, id)));
    expect((await rows(ann.id)).map((r) => r.ipEnc === null)).toEqual([false, false]);
    expect(await rows(bob.id)).toEqual([]);
  });

  test("suspend then unsuspend returns a restricted account to restricted (audited), and while suspended retention still keeps its data", async () => {
    const { deps, app } = await setUp();
    const ann = await seedPerson(deps, "ann");
    const bob = await seedPerson(deps, "bob");
    await call(app, "POST", "/account/restrict", { key: ann.key });
    expect((await suspendAccount(deps, ann.id, "admin:root")).status).toBe("suspended");
    expect((await suspendAccount(deps, bob.id, "admin:root")).status).toBe("suspended");
    clock.t += 400 * DAY_MS;
    await runRetention(deps);
    const rows = async (id: string) =>
      await all(deps.db.select().from(usageEvents).where(eq(usageEvents.accountId, id)));
    expect((await rows(ann.id)).length).toBe(2);
    expect(await rows(bob.id)).toEqual([]);

    expect((await unsuspendAccount(deps, ann.id, "admin:root")).status).toBe("restricted");
    expect((await deps.audit.tail(1))[0]).toMatchObject({
      action: "account.unsuspend",
      target: ann.id,
      details: JSON.stringify({ from: "suspended", to: "restricted" }),
    });
    expect((await call(app, "GET", "/v1/models", { key: ann.key })).status).toBe(403);
    expect((await call(app, "GET", "/account", { key: ann.key })).status).toBe(200);
    // Positive control: an account suspended while active comes back active.
    expect((await unsuspendAccount(deps, bob.id, "admin:root")).status).toBe("active");
    expect((await call(app, "GET", "/v1/models", { key: bob.key })).status).toBe(200);
  });

  test("lifting: the email reaches a real SMTP server while the account is still restricted; only then is it active", async () => {
    const { deps, app, smtp } = await setUp();
    const ann = await seedPerson(deps, "ann");
    await call(app, "POST", "/account/restrict", { key: ann.key });
    const real = deps.mailer;
    const statusAtSend: string[] = [];
    deps.mailer = {
      async send(m) {
        statusAtSend.push(await statusOf(deps, ann.id));
        return real.send(m);
      },
    };
    const lifted = await liftRestriction(deps, ann.id, "cli");
    expect(lifted.status).toBe("active");
    expect(statusAtSend).toEqual(["restricted"]);
    const mail = await smtp.next();
    expect(mail.to).toEqual([ann.email]);
    expect(mail.text).toContain("restriction");
    expect((await call(app, "GET", "/v1/models", { key: ann.key })).status).toBe(200);
    expect((await deps.audit.tail(1))[0]).toMatchObject({ action: "account.unrestrict", target: ann.id });
  });

  test("`kriora accounts restrict|unrestrict`: with SMTP down the restriction stays (exit 1); with SMTP up it is lifted after the mail", async () => {
    const { env, deps, smtp } = await setUp("smtp://127.0.0.1:9");
    const ann = await seedPerson(deps, "ann");
    const kriora = async (...args: string[]) => {
      let out = "";
      let err = "";
      const code = await runCli(
        [...args, "--config", join(env.dir, "kriora.toml"), "--data", join(env.dir, "data"), "--json"],
        { out: (t) => void (out += t), err: (t) => void (err += t), env: {} },
      );
      return { code, out, err };
    };
    expect(JSON.parse((await kriora("accounts", "restrict", ann.email)).out).status).toBe("restricted");
    const down = await kriora("accounts", "unrestrict", ann.id);
    expect(down.code).toBe(1);
    expect(down.err).toContain("could not be notified");
    expect(await statusOf(deps, ann.id)).toBe("restricted");
    expect(smtp.messages).toEqual([]);

    writeFileSync(join(env.dir, "kriora.toml"), `[mail]\nsmtp_url = "${smtp.url}"\n`);
    const up = await kriora("accounts", "unrestrict", ann.id);
    expect([up.code, JSON.parse(up.out).status]).toEqual([0, "active"]);
    expect((await smtp.next()).to).toEqual([ann.email]);
  });
});

import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { accounts, policyNotices } from "../../src/db/schema";
import { createApp } from "../../src/http/app";
import { createMailer } from "../../src/mail/mailer";
import { startPrivacyJobs } from "../../src/privacy/jobs";
import { policyStatus, queuePolicyNotices, sendPolicyNotices } from "../../src/privacy/policy";
import { json } from "../helpers/http";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { mailEnvs, steppingClock } from "../helpers/mailEnv";
import { exec, all } from "../../src/db/tx";

const mail = mailEnvs();
const clock = steppingClock();
const NEW = "2026-06-01";

/** A gateway whose policy version in force is NEW, with accounts in every state a notice must tell apart. */
async function setUp(opts: { smtpUrl?: string; material?: boolean } = {}) {
  clock.t = Date.UTC(2026, 10, 27, 12);
  const env = await mail.open(
    (url) =>
      `[server]\npublic_url = "https://kriora.example"\n[mail]\nsmtp_url = "${opts.smtpUrl ?? url}"\n[policy]\nversion = "${NEW}"\nmaterial = ${opts.material ?? true}\n`,
    clock,
  );
  const deps = env.deps;
  const make = async (email: string, set: Partial<typeof accounts.$inferInsert>) => {
    const row = await makeAccount(deps, email);
    await exec(
      deps.db
        .update(accounts)
        .set({ verifiedAt: clock.t, policyVersion: "2025-02-27", ...set })
        .where(eq(accounts.id, row.id)),
    );
    await deps.authView.refreshAccount(row.id);
    return row;
  };
  const people = {
    ann: await make("ann@example.com", {}),
    bob: await make("bob@example.com", {}),
    unverified: await make("new@example.com", { verifiedAt: null }),
    current: await make("current@example.com", { policyVersion: NEW }),
    restricted: await make("frozen@example.com", { status: "restricted" }),
  };
  return { env, deps, smtp: env.smtp, people };
}

describe("§16 policy changes: a material version change is announced by email to every verified account", () => {
  test("one notice per verified account that has not accepted the version, sent through a real SMTP server; queueing again adds none", async () => {
    const { env, deps, smtp } = await setUp();
    expect(await queuePolicyNotices(deps, "cli")).toBe(2);
    expect(await queuePolicyNotices(deps, "cli")).toBe(0);
    expect(await sendPolicyNotices(deps)).toEqual({ sent: 2, failed: 0 });
    const mails = [await smtp.next(), await smtp.next()];
    expect(mails.flatMap((m) => m.to).sort()).toEqual(["ann@example.com", "bob@example.com"]);
    for (const m of mails) expect(m.text).toContain(`version ${NEW}`);
    expect(mails[0]!.text).toContain("https://kriora.example/privacy");
    expect(await sendPolicyNotices(deps)).toEqual({ sent: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(2);
    expect((await policyStatus(deps)).notices).toEqual({ sent: 2, pending: 0, retrying: 0 });
    expect((await deps.audit.tail(5)).map((e) => e.action)).toContain("policy.notify");
    expect(env.log.text()).not.toContain("@example.com");
  });

  test("after an SMTP failure the notices are retried once the back-off has passed, and each is delivered once", async () => {
    const { deps, smtp } = await setUp({ smtpUrl: "smtp://127.0.0.1:9" });
    await queuePolicyNotices(deps, "system");
    expect(await sendPolicyNotices(deps)).toEqual({ sent: 0, failed: 2 });
    expect((await all(deps.db.select().from(policyNotices))).map((n) => [n.attempts, n.sentAt])).toEqual([
      [1, null],
      [1, null],
    ]);
    expect((await policyStatus(deps)).notices.retrying).toBe(2);
    deps.mailer = createMailer({ smtp_url: smtp.url, from: "no-reply@kriora.example" }, deps.log);
    expect(await sendPolicyNotices(deps)).toEqual({ sent: 0, failed: 0 });
    clock.t += 61_000;
    expect(await sendPolicyNotices(deps)).toEqual({ sent: 2, failed: 0 });
    expect(smtp.messages.flatMap((m) => m.to).sort()).toEqual(["ann@example.com", "bob@example.com"]);
  });

  test("the server queues and sends the notices when it starts; a version that is not material notifies no one", async () => {
    const { deps, smtp } = await setUp();
    const jobs = startPrivacyJobs(deps, () => true);
    await jobs.stop();
    expect(smtp.messages.flatMap((m) => m.to).sort()).toEqual(["ann@example.com", "bob@example.com"]);
    const quiet = await setUp({ material: false });
    expect(await queuePolicyNotices(quiet.deps, "cli")).toBe(0);
  });

  test("an instance that does not hold the jobs lock queues and sends nothing (another instance does)", async () => {
    const { deps, smtp } = await setUp();
    const jobs = startPrivacyJobs(deps, () => false);
    await jobs.stop();
    expect(smtp.messages).toEqual([]);
    expect((await policyStatus(deps)).notices).toMatchObject({ sent: 0, pending: 0 });
  });

  test("an instance that takes the jobs lock over queues and sends the notices at its next minute", async () => {
    const { deps, smtp } = await setUp();
    let leads = false;
    const jobs = startPrivacyJobs(deps, () => leads, { retentionMs: 3_600_000, noticesMs: 50 });
    await Bun.sleep(120);
    expect(smtp.messages).toEqual([]);
    leads = true;
    const deadline = Date.now() + 3_000;
    while (smtp.messages.length < 2 && Date.now() < deadline) await Bun.sleep(20);
    await jobs.stop();
    expect(smtp.messages.flatMap((m) => m.to).sort()).toEqual(["ann@example.com", "bob@example.com"]);
  });

  test("acceptance of the version in force is recorded per account; `policy notify|status` report it", async () => {
    const { env, deps, people } = await setUp();
    const key = (await makeKey(deps, people.ann.id)).key;
    const accepted = await json(await call(createApp(deps), "POST", "/account/policy/accept", { key }));
    expect([accepted.policy_version, accepted.policy_accepted_at]).toEqual([NEW, new Date(clock.t).toISOString()]);
    expect((await deps.audit.tail(1))[0]).toMatchObject({ action: "policy.accept", target: people.ann.id });

    const cli = async (...args: string[]) => {
      let out = "";
      const code = await runCli(
        [...args, "--config", join(env.dir, "kriora.toml"), "--data", join(env.dir, "data"), "--json"],
        { out: (t) => void (out += t), err: () => {}, env: {} },
      );
      return { code, doc: JSON.parse(out) };
    };
    const notify = await cli("policy", "notify");
    expect([notify.code, notify.doc.run]).toEqual([0, { queued: 1, sent: 1, failed: 0 }]);
    expect((await cli("policy", "status")).doc).toMatchObject({
      version: NEW,
      material: true,
      accepted_current: 2,
      verified_accounts: 4,
      notices: { sent: 1, pending: 0 },
    });
  });

  test("GET /privacy: the operator's text (with the §17 contact), its version, and what is in force", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kriora-policy-"));
    const text = join(dir, "policy.txt");
    writeFileSync(text, "Kriora privacy policy. 17. Contact: privacy@kriora.example\n");
    const env = await mail.open(
      () => `[policy]\nversion = "${NEW}"\ntext_file = "${text}"\n[retention]\nip_days = 7\n`,
    );
    const served = await json(await createApp(env.deps).handle(new Request("http://localhost/privacy")));
    expect([served.version, served.material, served.text]).toEqual([NEW, true, readFileSync(text, "utf8")]);
    expect(served.in_force).toMatchObject({
      retention: { ip_days: 7, usage_detail_days: 90 },
      content_retention: "none",
      minimum_age: 13,
    });
    expect(served.rights.map((r: { right: string }) => r.right)).toEqual([
      "access",
      "rectification",
      "erasure",
      "restriction",
      "objection",
      "complaint",
    ]);
    rmSync(dir, { recursive: true });
  });
});

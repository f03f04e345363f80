import { afterEach, describe, expect, test } from "bun:test";
import { eq, sum } from "drizzle-orm";
import { join } from "node:path";
import { requestLoginLink } from "../../src/accounts/magicLinks";
import { CARRY_FORWARD_REF, ledgerBalance } from "../../src/billing/ledger";
import {
  abuseFlags,
  auditLog,
  billingLedger,
  magicLinks,
  sessions,
  usageDaily,
  usageEvents,
} from "../../src/db/schema";
import { addMonthsUtc, DAY_MS } from "../../src/lib/clock";
import { runRetention } from "../../src/privacy/retention";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { runKriora } from "../helpers/cli";
import { steppingClock } from "../helpers/mailEnv";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { seedPerson } from "../helpers/privacy";
import { all, one } from "../../src/db/tx";

let env: BillingEnv | TestEnv | undefined;
afterEach(() => env?.close());

const clock = steppingClock();
const T0 = Date.UTC(2026, 0, 1, 12);

type Deps = BillingEnv["deps"];
const events = async (deps: Deps) => await all(deps.db.select().from(usageEvents));
const dailyTotals = async (deps: Deps) =>
  await one(
    deps.db
      .select({
        requests: sum(usageDaily.requests),
        input: sum(usageDaily.inputTokens),
        cost: sum(usageDaily.costMicros),
      })
      .from(usageDaily),
  );
const count = async (deps: Deps, table: typeof sessions | typeof magicLinks | typeof auditLog) =>
  (await all(deps.db.select().from(table))).length;

describe("§8 retention windows: a stepping clock through ip_days, usage_detail_days, billing_years and audit_years", () => {
  test("IPs nulled after ip_days, detail rows gone after usage_detail_days with the daily totals unchanged, expired sessions and links gone, billing carried forward, audit pruned behind an anchor", async () => {
    clock.t = T0;
    const billingEnv = await makeBillingEnv("prepaid", { clock });
    env = billingEnv;
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann", { requests: 3 });
    await requestLoginLink(deps, ann.email);
    for (let i = 0; i < 20; i++) await deps.abuse.authFailed("203.0.113.9");
    expect((await deps.abuse.active()).map((f) => f.kind)).toEqual(["address_block"]);
    const { ip_days, usage_detail_days } = deps.config.retention;
    const rolled = await events(deps);
    const totals = await dailyTotals(deps);
    expect(Number(totals?.requests)).toBe(3);
    expect(Number(totals?.input)).toBe(rolled.reduce((n, r) => n + r.inputTokens, 0));

    clock.t = T0 + ip_days * DAY_MS - 60_000;
    expect(await runRetention(deps)).toMatchObject({
      ips_erased: 0,
      address_blocks_deleted: 0,
      sessions_deleted: 1,
      magic_links_deleted: 1,
    });
    expect([await count(deps, sessions), await count(deps, magicLinks)]).toEqual([0, 0]);
    expect((await events(deps)).every((r) => r.ipEnc !== null)).toBe(true);
    clock.t = T0 + (ip_days + 1) * DAY_MS;
    expect(await runRetention(deps)).toMatchObject({
      ips_erased: 3,
      address_blocks_deleted: 1,
      usage_events_deleted: 0,
      sessions_deleted: 0,
    });
    expect(await all(deps.db.select().from(abuseFlags))).toEqual([]);
    expect((await events(deps)).filter((r) => r.at < clock.t - ip_days * DAY_MS && r.ipEnc !== null)).toEqual([]);
    expect(await events(deps)).toHaveLength(3);

    clock.t = T0 + (usage_detail_days + 1) * DAY_MS;
    const auditBefore = await count(deps, auditLog);
    const dry = await runRetention(deps, { dryRun: true });
    expect(dry).toMatchObject({ dry_run: true, usage_events_deleted: 3 });
    expect([(await events(deps)).length, await count(deps, auditLog)]).toEqual([3, auditBefore]);
    const real = await runRetention(deps);
    expect({ ...real, dry_run: true }).toEqual(dry);
    expect(await events(deps)).toEqual([]);
    expect(await dailyTotals(deps)).toEqual(totals);

    const cachedBalance = await deps.billing.balance(ann.id);
    const balance = await ledgerBalance(deps.db, ann.id);
    expect(cachedBalance).toBe(balance);
    clock.t = addMonthsUtc(T0, 12 * deps.config.retention.billing_years) + DAY_MS;
    await deps.billing.changeCredits(
      { accountId: ann.id, kind: "grant", amountMicros: 1_000_000, reason: "loyalty" },
      "test",
    );
    const billing = await runRetention(deps);
    expect(billing.billing_rows_deleted).toBe(2);
    expect(billing.audit_entries_pruned).toBeGreaterThan(0);
    const ledger = await all(deps.db.select().from(billingLedger).where(eq(billingLedger.accountId, ann.id)));
    expect(ledger.map((r) => [r.kind, r.ref])).toEqual([
      ["adjustment", CARRY_FORWARD_REF],
      ["grant", null],
    ]);
    expect(await ledgerBalance(deps.db, ann.id)).toBe(balance + 1_000_000n);
    expect(await deps.billing.balance(ann.id)).toBe(balance + 1_000_000n);
    expect(await (await billingEnv.restart()).billing.balance(ann.id)).toBe(balance + 1_000_000n);
    expect((await runRetention(env.deps)).billing_rows_deleted).toBe(0);

    expect((await env.deps.audit.verify()).ok).toBe(true);
    const cli = await runKriora(join(env.dir, "data"), ["audit", "verify", "--json"]);
    expect([cli.code, JSON.parse(cli.out).ok]).toEqual([0, true]);
    const newest = (await env.deps.audit.tail(1))[0]!.seq;
    expect(() => env!.deps.handle.sqlite.run(`DELETE FROM audit_log WHERE seq = ${newest}`)).toThrow("append-only");

    const lines = env.log.lines.map((l) => JSON.parse(l)).filter((l) => l.event === "retention_run");
    expect(lines).toHaveLength(6);
    for (const l of lines)
      for (const [k, v] of Object.entries(l))
        if (k !== "event" && k !== "level") expect(typeof v === "number" || typeof v === "boolean").toBe(true);
  });

  test("`kriora retention run --dry-run` changes nothing and reports the counts the real run then applies, in one line", async () => {
    const now = Date.now();
    clock.t = now - 100 * DAY_MS;
    env = await makeTestEnv("", { clock });
    await seedPerson(env.deps, "ann", { requests: 2 });
    clock.t = now;
    const data = join(env.dir, "data");
    const dry = await runKriora(data, ["retention", "run", "--dry-run", "--json"]);
    expect(JSON.parse(dry.out)).toMatchObject({
      dry_run: true,
      ips_erased: 2,
      usage_events_deleted: 2,
      sessions_deleted: 1,
    });
    expect(await events(env.deps)).toHaveLength(2);
    const human = await runKriora(data, ["retention", "run"]);
    expect(human.out.trim().split("\n")).toHaveLength(1);
    expect(human.out).toContain("usage_events_deleted=2");
    expect(human.out).toContain("ips_erased=2");
    expect(await events(env.deps)).toEqual([]);
  });
});

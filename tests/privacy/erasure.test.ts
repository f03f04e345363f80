import { afterEach, describe, expect, test } from "bun:test";
import { eq, sum } from "drizzle-orm";
import { accounts, billingCustomers, billingLedger, usageEvents } from "../../src/db/schema";
import { createApp } from "../../src/http/app";
import { runRetention } from "../../src/privacy/retention";
import { makeBillingEnv, type BillingEnv } from "../helpers/billing";
import { json } from "../helpers/http";
import { call } from "../helpers/identity";
import { absentFrom, filesHolding, forms, sameOrigin, seedPerson, type Person } from "../helpers/privacy";
import { one, all } from "../../src/db/tx";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

/**
 * What the person's data looks like on disk: the stored email ciphertext, blind index, IP
 * ciphertexts and the key name (kept in clear); `all` adds the clear and base64 forms of the email and IP.
 */
async function canaries(p: Person, deps: BillingEnv["deps"]): Promise<{ stored: string[]; all: string[] }> {
  const row = (await one(deps.db.select().from(accounts).where(eq(accounts.id, p.id))))!;
  const ips = (
    await all(deps.db.select({ ip: usageEvents.ipEnc }).from(usageEvents).where(eq(usageEvents.accountId, p.id)))
  ).map((r) => r.ip!);
  const stored = [row.emailEnc!, row.emailIndex!, ...ips, p.keyName];
  return { stored, all: [...forms(p.email), ...forms(p.ip), ...stored] };
}

const ledgerTotal = async (deps: BillingEnv["deps"]) =>
  Number((await one(deps.db.select({ t: sum(billingLedger.amountMicros) }).from(billingLedger)))?.t ?? 0);

/** Every table cell in the database that contains the value, as `table.column`. */
function cellsHolding(deps: BillingEnv["deps"], value: string): string[] {
  const sqlite = deps.handle.sqlite;
  const tables = sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  const hits: string[] = [];
  for (const { name } of tables) {
    for (const row of sqlite.query(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[])
      for (const [col, v] of Object.entries(row))
        if (typeof v === "string" && v.includes(value)) hits.push(`${name}.${col}`);
  }
  return [...new Set(hits)];
}

describe("§8 deletion, §14 erasure: POST /account/delete", () => {
  test("the email and IP canaries leave kriora.db, -wal and -shm (positive control before, and for an unerased account after); keys stop; billing stays under an unlinkable tombstone; the Stripe customer is deleted", async () => {
    env = await makeBillingEnv("prepaid");
    const deps = env.deps;
    const dbPath = deps.config.database.path;
    const ann = await seedPerson(deps, "ann", { requests: 4 });
    const bob = await seedPerson(deps, "bob");
    await deps.billing.checkout(ann.id, 10_000_000);
    const [customerId] = env.fake.customers.keys();
    const annCanaries = await canaries(ann, deps);
    const bobCanaries = await canaries(bob, deps);
    const annLedger = await all(deps.db.select().from(billingLedger).where(eq(billingLedger.accountId, ann.id)));
    const total = await ledgerTotal(deps);
    const app = createApp(deps);

    expect(annCanaries.stored).toHaveLength(7);
    expect(absentFrom(dbPath, annCanaries.stored)).toEqual([]);

    const res = await call(app, "POST", "/account/delete", {
      cookie: ann.cookie,
      headers: sameOrigin,
      body: { confirm: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toContain("Max-Age=0");
    const report = await json(res);
    expect(annLedger.map((r) => r.kind).sort()).toEqual(["grant", "usage"]);
    expect(report).toMatchObject({
      account_id: ann.id,
      status: "erased",
      reason: "request",
      billing_rows_held: 2,
      stripe_customer: "deleted",
    });
    expect(report.removed).toMatchObject({ keys: 1, sessions: 1, usage_events: 4 });

    expect(filesHolding(dbPath, annCanaries.all)).toEqual([]);
    expect(absentFrom(dbPath, bobCanaries.stored)).toEqual([]);

    expect((await call(app, "GET", "/account", { key: ann.key })).status).toBe(401);
    expect((await call(app, "GET", "/v1/models", { key: ann.key })).status).toBe(401);
    expect((await call(app, "GET", "/account", { cookie: ann.cookie })).status).toBe(401);
    expect((await call(app, "GET", "/account", { key: bob.key })).status).toBe(200);

    const account = (await one(deps.db.select().from(accounts).where(eq(accounts.id, ann.id))))!;
    expect(account).toMatchObject({ status: "erased", emailEnc: null, emailIndex: null, policyVersion: null });
    const held = (await all(deps.db.select().from(billingLedger))).filter((r) => annLedger.some((a) => a.id === r.id));
    expect(held.map((r) => r.amountMicros)).toEqual(annLedger.map((r) => r.amountMicros));
    expect(await ledgerTotal(deps)).toBe(total);
    const tombstone = held[0]!.accountId;
    expect(tombstone).not.toBe(ann.id);
    expect(cellsHolding(deps, tombstone).sort()).toEqual(["billing_checkouts.account_id", "billing_ledger.account_id"]);
    expect(
      cellsHolding(deps, ann.id).every((c) =>
        [
          "accounts.id",
          "audit_log.target",
          "audit_log.actor",
          "audit_log.details",
          "rights_requests.account_id",
        ].includes(c),
      ),
    ).toBe(true);

    expect(env.fake.customers.has(customerId!)).toBe(false);
    expect(env.fake.requests.some((r) => r.method === "DELETE" && r.path === `/v1/customers/${customerId}`)).toBe(true);
    expect((await deps.audit.verify()).ok).toBe(true);
    expect((await deps.audit.tail(1))[0]).toMatchObject({
      action: "account.erase",
      target: ann.id,
      actor: `account:${ann.id}`,
    });
    for (const c of [ann.email, ann.ip]) expect(env.log.text()).not.toContain(c);
  });

  test("erasure over HTTP needs a session opened in the last 10 minutes: an API key or an older session is refused and nothing changes", async () => {
    let now = Date.UTC(2026, 10, 27, 12);
    env = await makeBillingEnv("off", { clock: { now: () => now } });
    const ann = await seedPerson(env.deps, "ann");
    const app = createApp(env.deps);
    const byKey = await call(app, "POST", "/account/delete", { key: ann.key, body: { confirm: true } });
    expect(byKey.status).toBe(403);
    expect((await json(byKey)).error.message).toContain("recent sign-in");
    expect(
      (await call(app, "POST", "/account/delete", { cookie: ann.cookie, headers: sameOrigin, body: {} })).status,
    ).toBe(400);
    now += 11 * 60_000;
    expect(
      (await call(app, "POST", "/account/delete", { cookie: ann.cookie, headers: sameOrigin, body: { confirm: true } }))
        .status,
    ).toBe(403);
    expect((await call(app, "GET", "/account", { key: ann.key })).status).toBe(200);
  });

  test("a Stripe outage does not hold the erasure back: the customer link waits on the tombstone and the retention run deletes it", async () => {
    env = await makeBillingEnv("prepaid");
    const ann = await seedPerson(env.deps, "ann");
    await env.deps.billing.checkout(ann.id, 10_000_000);
    const [customerId] = env.fake.customers.keys();
    env.fake.failNext(`/v1/customers/${customerId}`, 3, 503);
    const report = await json(
      await call(createApp(env.deps), "POST", "/account/delete", {
        cookie: ann.cookie,
        headers: sameOrigin,
        body: { confirm: true },
      }),
    );
    expect(report.stripe_customer).toBe("pending");
    expect(filesHolding(env.deps.config.database.path, [...forms(ann.email), ...forms(ann.ip), ann.keyName])).toEqual(
      [],
    );
    const [link] = await all(env.deps.db.select().from(billingCustomers));
    expect(link!.accountId).toMatch(/^tmb_/);
    expect(env.fake.customers.has(customerId!)).toBe(true);
    expect((await runRetention(env.deps)).stripe_customers_deleted).toBe(1);
    expect(env.fake.customers.has(customerId!)).toBe(false);
    expect(await all(env.deps.db.select().from(billingCustomers))).toEqual([]);
  });
});

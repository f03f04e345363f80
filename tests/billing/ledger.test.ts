import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import fc from "fast-check";
import { ledgerBalance } from "../../src/billing/ledger";
import { billingLedger, usageEvents } from "../../src/db/schema";
import { formatUsd, parseUsd } from "../../src/lib/money";
import { costMicros, pricesOf } from "../../src/usage/cost";
import { createRequestControls } from "../../src/requestControls";
import { makeBillingEnv, pricedModels, type BillingEnv } from "../helpers/billing";
import { usageEvent } from "../helpers/usage";
import { all } from "../../src/db/tx";

let env: BillingEnv | undefined;
afterEach(() => env?.close());

// Awkward prices on purpose: none is a whole number of micro-dollars per token.
const MODELS = pricedModels([
  ["cheap", 0.15, 0.6, 0.075],
  ["dear", 3.000001, 15.123457],
]);

const usageRows = async (e: BillingEnv) => (await all(e.deps.db.select().from(usageEvents))).length;
const ledgerRows = async (e: BillingEnv) => await all(e.deps.db.select().from(billingLedger));

describe("§5 billing records, §8 legal obligations: the ledger", () => {
  test("usage debits are written in the usage rows' transaction: a failing debit leaves neither, the retry writes both", async () => {
    env = await makeBillingEnv("prepaid");
    const controls = await createRequestControls({ ...env.deps });
    env.deps.handle.sqlite.run(
      "CREATE TEMP TRIGGER refuse_ledger BEFORE INSERT ON billing_ledger BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    controls.usageWriter.record(usageEvent(1, { accountId: "acc_a" }));
    await controls.usageWriter.flush();
    expect([await usageRows(env), (await ledgerRows(env)).length, controls.usageWriter.pending()]).toEqual([0, 0, 1]);
    env.deps.handle.sqlite.run("DROP TRIGGER refuse_ledger");
    await controls.usageWriter.flush();
    expect([await usageRows(env), (await ledgerRows(env)).length]).toEqual([1, 1]);
    expect((await ledgerRows(env))[0]).toMatchObject({
      kind: "usage",
      accountId: "acc_a",
      amountMicros: -121,
      requests: 1,
    });
  });

  test("a locked database writes no usage and no debit; both land after it frees", async () => {
    env = await makeBillingEnv("prepaid");
    const controls = await createRequestControls({ ...env.deps });
    const other = new Database(env.deps.config.database.path);
    other.run("BEGIN IMMEDIATE");
    env.deps.handle.sqlite.run("PRAGMA busy_timeout = 0");
    for (let i = 0; i < 3; i++) controls.usageWriter.record(usageEvent(i, { accountId: "acc_a" }));
    await controls.usageWriter.flush();
    other.run("ROLLBACK");
    other.close();
    expect([await usageRows(env), (await ledgerRows(env)).length]).toEqual([0, 0]);
    await controls.usageWriter.flush();
    expect([await usageRows(env), (await ledgerRows(env)).length]).toEqual([3, 1]);
  });

  test("rows are append-only: amounts, kinds and references cannot change; account_id can be re-pointed (legal hold)", async () => {
    env = await makeBillingEnv("prepaid");
    await env.deps.billing.changeCredits(
      { accountId: "acc_a", kind: "grant", amountMicros: 5, reason: "test" },
      "test",
    );
    const sqlite = env.deps.handle.sqlite;
    for (const change of ["amount_micros = 500", "kind = 'adjustment'", "ref = 'cs_x'", "reason = 'other'", "at = 0"])
      expect(() => sqlite.run(`UPDATE billing_ledger SET ${change}`)).toThrow("append-only");
    sqlite.run("UPDATE billing_ledger SET account_id = 'acc_tombstone'");
    expect((await ledgerRows(env))[0]).toMatchObject({ accountId: "acc_tombstone", amountMicros: 5 });
    expect(() =>
      sqlite.run(
        "INSERT INTO billing_ledger (id, account_id, at, kind, amount_micros) VALUES ('x', 'a', 0, 'grant', -1)",
      ),
    ).toThrow();
  });

  test("no column of the billing tables can hold personal data beyond the account id", async () => {
    env = await makeBillingEnv("prepaid");
    const columns = (table: string) =>
      (env!.deps.handle.sqlite.query(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    expect(columns("billing_ledger")).toEqual([
      "seq",
      "id",
      "account_id",
      "at",
      "kind",
      "amount_micros",
      "requests",
      "ref",
      "reason",
    ]);
    expect(columns("billing_checkouts")).toEqual([
      "id",
      "account_id",
      "amount_micros",
      "url",
      "status",
      "created_at",
      "expires_at",
    ]);
    expect(columns("meter_outbox")).toEqual([
      "request_id",
      "account_id",
      "at",
      "value_micros",
      "attempts",
      "next_attempt_at",
      "failed_code",
    ]);
    expect(columns("stripe_events")).toEqual(["id", "type", "processed_at"]);
  });

  test("property: the ledger balance equals the grant minus the exact BigInt sum of request costs, across random flush boundaries", async () => {
    env = await makeBillingEnv("prepaid", { toml: MODELS });
    const controls = await createRequestControls({ ...env.deps });
    const prices = new Map(env.deps.config.models.map((m) => [m.id, pricesOf(m)]));
    let run = 0;
    const request = fc.record({
      model: fc.constantFrom("cheap", "dear"),
      account: fc.constantFrom("x", "y"),
      input: fc.integer({ min: 0, max: 2_000_000 }),
      cached: fc.integer({ min: 0, max: 2_000_000 }),
      output: fc.integer({ min: 0, max: 500_000 }),
      flushAfter: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(request, { maxLength: 60 }), async (requests) => {
        run++;
        const grant = 1_000_000_000_000;
        const expected = new Map<string, bigint>();
        for (const a of ["x", "y"]) {
          await env!.deps.billing.changeCredits(
            { accountId: `acc_${run}_${a}`, kind: "grant", amountMicros: grant, reason: "property" },
            "test",
          );
          expected.set(`acc_${run}_${a}`, BigInt(grant));
        }
        for (const [i, r] of requests.entries()) {
          const e = usageEvent(i, {
            requestId: `req_${run}_${i}`,
            accountId: `acc_${run}_${r.account}`,
            model: r.model,
            inputTokens: r.input,
            cachedInputTokens: Math.min(r.cached, r.input),
            outputTokens: r.output,
          });
          controls.usageWriter.record(e);
          expected.set(e.accountId, expected.get(e.accountId)! - BigInt(costMicros(e, prices.get(r.model)!)));
          if (r.flushAfter) await controls.usageWriter.flush();
        }
        await controls.usageWriter.flush();
        for (const [account, want] of expected) {
          expect(await ledgerBalance(env!.deps.db, account)).toBe(want);
          expect(BigInt(await env!.deps.billing.balance(account))).toBe(want);
        }
      }),
      { numRuns: 60 },
    );
  });

  test("property: dollar text and micro-dollars convert exactly both ways", () => {
    fc.assert(
      fc.property(fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }), (micros) => {
        expect(parseUsd(formatUsd(micros), { param: "amount", allowNegative: true })).toBe(micros);
      }),
    );
    expect(parseUsd("0.1", { param: "a" }) + parseUsd("0.2", { param: "a" })).toBe(parseUsd("0.3", { param: "a" }));
    expect(formatUsd(127)).toBe("0.000127");
    expect(formatUsd(-1_500_000)).toBe("-1.50");
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import { billingLedger } from "../../src/db/schema";
import { runKriora } from "../helpers/cli";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { makeAccount } from "../helpers/identity";
import { all } from "../../src/db/tx";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const kriora = (...args: string[]) => runKriora(`${env!.dir}/data`, args);

describe("§5 billing records: kriora credits", () => {
  test("grant --json prints one document with the entry and the new balance; the entry is audited without the reason", async () => {
    env = await makeTestEnv();
    const acc = await makeAccount(env.deps, "credit@example.com");
    const r = await kriora(
      "credits",
      "grant",
      "--account",
      "Credit@Example.com",
      "--amount",
      "12.5",
      "--reason",
      "launch promo",
      "--json",
    );
    expect([r.code, r.err]).toEqual([0, ""]);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({
      kind: "grant",
      amount_micros: 12_500_000,
      amount_usd: "12.50",
      reason: "launch promo",
      account_id: acc.id,
      balance_usd: "12.50",
    });
    const adjust = JSON.parse(
      (
        await kriora(
          "credits",
          "adjust",
          "--account",
          acc.id,
          "--amount",
          "-0.000001",
          "--reason",
          "rounding",
          "--json",
        )
      ).out,
    );
    expect(adjust).toMatchObject({
      kind: "adjustment",
      amount_micros: -1,
      balance_micros: 12_499_999,
      balance_usd: "12.499999",
    });
    const show = JSON.parse((await kriora("credits", "show", "--account", acc.id, "--json")).out);
    expect(show).toMatchObject({ mode: "off", balance_micros: 12_499_999 });
    const audit = (await env.deps.audit.tail(10)).filter((e) => e.action.startsWith("billing."));
    expect(audit.map((e) => [e.actor, e.action, e.target])).toEqual([
      ["cli", "billing.grant", acc.id],
      ["cli", "billing.adjustment", acc.id],
      ["cli", "billing.read", acc.id],
    ]);
    expect(audit.map((e) => e.details).join("")).not.toContain("promo");
  });

  test("missing flags are usage errors (exit 2); bad amounts, zero and address-like reasons fail (exit 1) and write nothing", async () => {
    env = await makeTestEnv();
    const acc = await makeAccount(env.deps, "credit@example.com");
    expect((await kriora("credits", "grant", "--account", acc.id, "--amount", "5")).code).toBe(2);
    for (const [amount, reason] of [
      ["-5", "x"],
      ["0", "x"],
      ["1.0000001", "x"],
      ["5", "for credit@example.com"],
    ]) {
      const r = await kriora("credits", "grant", "--account", acc.id, "--amount", amount!, "--reason", reason!);
      expect([amount, r.code]).toEqual([amount, 1]);
    }
    expect((await kriora("credits", "grant", "--account", "acc_missing", "--amount", "1", "--reason", "x")).code).toBe(
      1,
    );
    expect(await all(env.deps.db.select().from(billingLedger))).toEqual([]);
  });
});

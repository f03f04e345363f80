import { resolveAccount } from "../accounts/accounts";
import { describeLedgerRow, ledgerBalance } from "../billing/ledger";
import type { CreditChange } from "../billing/credits";
import { formatUsd, jsonMicros, parseUsd } from "../lib/money";
import { intFlag, requireFlag, type CliContext, type Command } from "./frame";

const ACTOR = "cli";

const accountFlag = { account: { type: "string", help: "the account: email or id" } } as const;
const changeFlags = {
  ...accountFlag,
  amount: { type: "string", help: "US dollars, up to six decimals (e.g. 25 or 0.50)" },
  reason: { type: "string", help: "why (kept with the billing record for billing_years: no personal data)" },
} as const;

async function change(ctx: CliContext, kind: CreditChange["kind"]) {
  const deps = await ctx.deps();
  const account = await resolveAccount(deps, requireFlag(ctx, "account"));
  const amountMicros = parseUsd(requireFlag(ctx, "amount"), { param: "amount", allowNegative: kind === "adjustment" });
  const row = await deps.billing.changeCredits(
    { accountId: account.id, kind, amountMicros, reason: requireFlag(ctx, "reason") },
    ACTOR,
  );
  const balance = await ledgerBalance(deps.db, account.id);
  ctx.emit({
    ...describeLedgerRow(row),
    account_id: account.id,
    balance_micros: jsonMicros(balance),
    balance_usd: formatUsd(balance),
  });
  ctx.say(
    `${kind === "grant" ? "granted" : "adjusted"} ${formatUsd(row.amountMicros)} USD to ${account.id} (${row.id}); balance ${formatUsd(balance)} USD`,
  );
  if (deps.billing.mode !== "prepaid")
    ctx.say(`note: billing mode is ${deps.billing.mode}, so balances are recorded but do not gate requests`);
}

/** The credit ledger by hand: `grant` and `adjust` write one audited row; `show` is an audited read. */
export const creditCommands: Command[] = [
  {
    name: "credits grant",
    summary: "Add credits to an account's ledger (audited).",
    flags: changeFlags,
    run: (ctx) => change(ctx, "grant"),
  },
  {
    name: "credits adjust",
    summary: "Correct an account's balance by a signed amount (audited).",
    flags: changeFlags,
    run: (ctx) => change(ctx, "adjustment"),
  },
  {
    name: "credits show",
    summary: "An account's balance and recent ledger entries (audited read).",
    flags: { ...accountFlag, limit: { type: "string", help: "how many ledger entries (default 20)" } },
    async run(ctx) {
      const deps = await ctx.deps();
      const id = (await resolveAccount(deps, requireFlag(ctx, "account"))).id;
      await deps.audit.record({ actor: ACTOR, action: "billing.read", target: id });
      const summary = await deps.billing.summary(id, intFlag(ctx, "limit") ?? 20);
      ctx.emit(summary);
      ctx.say(`${id}: balance ${summary.balance_usd} USD (billing ${summary.mode})`);
      for (const r of summary.ledger)
        ctx.say(`${r.at}\t${r.kind}\t${r.amount_usd}\t${r.requests ?? ""}\t${r.ref ?? r.reason ?? ""}`);
    },
  },
];

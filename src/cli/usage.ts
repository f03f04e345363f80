import { resolveAccount } from "../accounts/accounts";
import { accountUsage, DAY_PATTERN, type UsageRange } from "../usage/query";
import { requireFlag, stringFlag, UsageError, type CliContext, type Command } from "./frame";

function dayRange(ctx: CliContext): UsageRange {
  const range = { from: stringFlag(ctx, "from"), to: stringFlag(ctx, "to") };
  for (const [name, v] of Object.entries(range))
    if (v !== undefined && !DAY_PATTERN.test(v)) throw new UsageError(`--${name} takes a UTC day, YYYY-MM-DD`);
  return range;
}

export const usageCommands: Command[] = [
  {
    name: "usage",
    summary: "Usage totals of an account (default range: all time).",
    flags: {
      account: { type: "string", help: "the account (email or id)" },
      from: { type: "string", help: "first UTC day, YYYY-MM-DD" },
      to: { type: "string", help: "last UTC day, YYYY-MM-DD" },
    },
    async run(ctx) {
      const deps = await ctx.deps();
      const range = dayRange(ctx);
      const account = await resolveAccount(deps, requireFlag(ctx, "account"));
      const totals = await accountUsage(deps.db, account.id, range);
      await deps.audit.record({ actor: "cli", action: "usage.read", target: account.id });
      ctx.emit({ account_id: account.id, from: range.from ?? null, to: range.to ?? null, ...totals });
      ctx.say(
        `${account.id}: ${totals.requests} requests, ${totals.input_tokens} input / ${totals.output_tokens} output tokens, ` +
          `${totals.errors} errors, $${totals.cost_usd}`,
      );
    },
  },
];

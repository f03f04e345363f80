import { CliFailure, intFlag, type Command } from "./frame";
import { iso } from "../lib/clock";

export const auditCommands: Command[] = [
  {
    name: "audit verify",
    summary: "Walk the audit hash chain and name the first broken entry.",
    async run(ctx) {
      const result = await (await ctx.deps()).audit.verify();
      ctx.emit(result);
      if (result.ok) {
        ctx.say(`audit trail intact: ${result.entries} entries`);
        return 0;
      }
      ctx.say(`audit trail broken at entry ${result.firstBroken}: ${result.reason}`);
      return 1;
    },
  },
  {
    name: "audit tail",
    summary: "Show the most recent audit entries.",
    flags: { limit: { type: "string", help: "how many entries (default 20)" } },
    async run(ctx) {
      const limit = intFlag(ctx, "limit") ?? 20;
      if (limit < 1 || limit > 10_000) throw new CliFailure("--limit must be between 1 and 10000");
      const rows = await (await ctx.deps()).audit.tail(limit);
      ctx.emit(
        rows.map((r) => ({
          seq: r.seq,
          at: iso(r.at),
          actor: r.actor,
          action: r.action,
          target: r.target,
          details: JSON.parse(r.details),
        })),
      );
      for (const r of rows)
        ctx.say(`${r.seq}\t${iso(r.at)}\t${r.actor}\t${r.action}\t${r.target ?? "-"}\t${r.details}`);
    },
  },
];

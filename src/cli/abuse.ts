import { CliFailure, UsageError, type Command } from "./frame";
import { iso } from "../lib/clock";

export const abuseCommands: Command[] = [
  {
    name: "abuse list",
    summary: "Active abuse decisions: blocked addresses (shown by their HMAC, never in clear) and flagged keys.",
    async run(ctx) {
      const flags = await (await ctx.deps()).abuse.active();
      const rows = flags.map((f) => ({
        id: f.id,
        kind: f.kind,
        subject: f.subject,
        details: JSON.parse(f.details),
        created_at: iso(f.createdAt),
        expires_at: f.expiresAt ? iso(f.expiresAt) : null,
      }));
      ctx.emit(rows);
      if (rows.length === 0) ctx.say("no active abuse decisions");
      for (const r of rows)
        ctx.say(`${r.id}\t${r.kind}\t${r.subject}\t${r.created_at}\t${r.expires_at ?? "until cleared"}`);
    },
  },
  {
    name: "abuse clear",
    summary: "Clear an abuse decision (unblock the address or unflag the key); audited.",
    args: "<decision-id>",
    async run(ctx) {
      const id = ctx.args[0];
      if (!id) throw new UsageError("name the decision to clear (see `kriora abuse list`)");
      if (!(await (await ctx.deps()).abuse.clear(id, "cli"))) throw new CliFailure(`no active abuse decision ${id}`);
      ctx.emit({ id, cleared: true });
      ctx.say(`cleared ${id}`);
    },
  },
];

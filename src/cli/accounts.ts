import type { AccountInfo } from "../accounts/accountModel";
import { createAccount, describeAccount, resolveAccount } from "../accounts/accounts";
import { listAccountsAudited, showAccount } from "../accounts/admin";
import { issueLoginLink } from "../accounts/magicLinks";
import { suspendAccount, unsuspendAccount } from "../accounts/status";
import { correctEmail } from "../privacy/rectify";
import { requireFlag, UsageError, type CliContext, type Command } from "./frame";

const ACTOR = "cli";

export function oneArg(ctx: CliContext, what: string): string {
  const [ref, extra] = ctx.args;
  if (!ref || extra !== undefined) throw new UsageError(`expected exactly one ${what}`);
  return ref;
}

export function report(ctx: CliContext, info: AccountInfo, verb?: string) {
  ctx.emit(info);
  if (verb) ctx.say(`${verb} ${info.id}`);
  ctx.say(
    [
      `id:        ${info.id}`,
      `email:     ${info.email ?? "(erased)"}`,
      `status:    ${info.status}`,
      `role:      ${info.role}`,
      `verified:  ${info.verified_at ?? "no"}`,
      `consent:   ${info.policy_version ? `policy ${info.policy_version} at ${info.policy_accepted_at}, age confirmed at ${info.age_confirmed_at}` : "none recorded"}`,
      `zdr:       ${info.require_zdr ? "required" : "not required"}; regions: ${info.regions?.join(",") ?? "any"}`,
      `created:   ${info.created_at}`,
    ].join("\n"),
  );
}

function statusCommand(name: string, summary: string, change: typeof suspendAccount, verb: string): Command {
  return {
    name,
    summary,
    args: "<email|id>",
    async run(ctx) {
      const deps = await ctx.deps();
      report(
        ctx,
        await describeAccount(
          deps,
          await change(deps, (await resolveAccount(deps, oneArg(ctx, "<email|id>"))).id, ACTOR),
        ),
        verb,
      );
    },
  };
}

/** Account administration; each change and each read of an account is audited with actor `cli`. */
export const accountCommands: Command[] = [
  {
    name: "accounts list",
    summary: "List accounts (audited).",
    async run(ctx) {
      const infos = await listAccountsAudited(await ctx.deps(), ACTOR);
      ctx.emit(infos);
      for (const a of infos) ctx.say(`${a.id}\t${a.status}\t${a.role}\t${a.email ?? "(erased)"}`);
    },
  },
  {
    name: "accounts show",
    summary: "Show one account (audited).",
    args: "<email|id>",
    async run(ctx) {
      report(ctx, await showAccount(await ctx.deps(), oneArg(ctx, "<email|id>"), ACTOR));
    },
  },
  {
    name: "accounts create",
    summary: "Create an account (verified on its first sign-in).",
    flags: {
      email: { type: "string", help: "the account's email address" },
      admin: { type: "boolean", help: "give it the admin role" },
    },
    async run(ctx) {
      const deps = await ctx.deps();
      const row = await createAccount(
        deps,
        { email: requireFlag(ctx, "email"), role: ctx.flags.admin === true ? "admin" : "user" },
        ACTOR,
      );
      report(ctx, await describeAccount(deps, row), "created");
    },
  },
  {
    name: "accounts set-email",
    summary: "Correct an account's email address (recorded in the rights ledger).",
    args: "<email|id> <new-email>",
    async run(ctx) {
      const [ref, email, extra] = ctx.args;
      if (!ref || !email || extra !== undefined) throw new UsageError("expected <email|id> <new-email>");
      const deps = await ctx.deps();
      report(
        ctx,
        await describeAccount(deps, await correctEmail(deps, (await resolveAccount(deps, ref)).id, email, ACTOR)),
        "updated",
      );
    },
  },
  {
    name: "accounts login-link",
    summary: "Print a one-time sign-in URL for the account (15 minutes; audited), to hand over instead of mailing it.",
    help: "Bootstraps the first admin (`accounts create --email E --admin`, then this) and serves servers without SMTP. The URL opens the console's confirm page.",
    args: "<email|id>",
    async run(ctx) {
      const deps = await ctx.deps();
      const link = await issueLoginLink(deps, (await resolveAccount(deps, oneArg(ctx, "<email|id>"))).id, ACTOR);
      ctx.emit(link);
      ctx.say(`${link.url}\n(one use, until ${link.expires_at})`);
    },
  },
  statusCommand(
    "accounts suspend",
    "Suspend an account: its keys, sessions and sign-ins stop working at once.",
    suspendAccount,
    "suspended",
  ),
  statusCommand("accounts unsuspend", "Lift a suspension.", unsuspendAccount, "unsuspended"),
];

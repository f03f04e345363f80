import { describeAccount, resolveAccount } from "../accounts/accounts";
import { ERASURE_REASONS, eraseAccount, type ErasureReason } from "../privacy/erasure";
import { EXPORT_SCHEMA, exportAccount } from "../privacy/export";
import { OBJECTION_SCOPES, objectToProcessing, type ObjectionScope } from "../privacy/objection";
import { liftRestriction, restrictAccount } from "../privacy/restriction";
import { oneArg, report } from "./accounts";
import { writePrivateFile } from "./privateFile";
import { CliFailure, stringFlag, UsageError, type CliContext, type Command } from "./frame";

const ACTOR = "cli";

function oneOf<T extends string>(ctx: CliContext, flag: string, allowed: readonly T[], fallback?: T): T {
  const value = stringFlag(ctx, flag) ?? fallback;
  const match = allowed.find((a) => a === value);
  if (!match) throw new UsageError(`--${flag} must be one of: ${allowed.join(", ")}`);
  return match;
}

/** The data-subject rights an operator exercises for a person (Policy §14, §15); each is audited with actor `cli`. */
export const rightsCommands: Command[] = [
  {
    name: "accounts export",
    summary: "The person's data export: the same JSON document as POST /account/export (an audited read).",
    args: "<email|id>",
    flags: {
      out: {
        type: "string",
        help: "write the document to this new file (mode 0600) instead of stdout; an existing path is refused",
      },
      force: { type: "boolean", help: "with --out: replace an existing file (or symlink) with a new 0600 file" },
    },
    async run(ctx) {
      const deps = await ctx.deps();
      const accountId = (await resolveAccount(deps, oneArg(ctx, "<email|id>"))).id;
      const out = stringFlag(ctx, "out");
      if (out === undefined) {
        const doc = await exportAccount(deps, accountId, ACTOR);
        ctx.emit(doc);
        ctx.say(JSON.stringify(doc, null, 2));
        return;
      }
      await writePrivateFile(
        out,
        ctx.flags.force === true,
        async () => JSON.stringify(await exportAccount(deps, accountId, ACTOR), null, 2) + "\n",
      );
      ctx.emit({ account_id: accountId, schema: EXPORT_SCHEMA, out });
      ctx.say(`wrote the export of ${accountId} (${EXPORT_SCHEMA}) to ${out}`);
    },
  },
  {
    name: "accounts delete",
    summary: "Erase the person's data now; billing records stay under legal hold, unlinked (asks for --yes).",
    args: "<email|id>",
    help: "Reasons: request (the person asked; default), child (Policy §15: an account of someone under the minimum age), admin.",
    flags: { reason: { type: "string", help: `why: ${ERASURE_REASONS.join(", ")} (default request)` } },
    async run(ctx) {
      const ref = oneArg(ctx, "<email|id>");
      const reason: ErasureReason = oneOf(ctx, "reason", ERASURE_REASONS, "request");
      if (!(await ctx.confirm("Erase this account and everything held about it? This cannot be undone.")))
        throw new CliFailure("not confirmed: nothing was erased");
      const deps = await ctx.deps();
      const erased = await eraseAccount(deps, (await resolveAccount(deps, ref)).id, reason, ACTOR);
      ctx.emit(erased);
      ctx.say(
        `erased ${erased.account_id} (reason ${reason}); ${erased.billing_rows_held} billing rows kept under legal hold; Stripe customer: ${erased.stripe_customer}`,
      );
    },
  },
  {
    name: "accounts restrict",
    summary: "Restrict processing (Art. 18): the keys stop, the data is kept.",
    args: "<email|id>",
    async run(ctx) {
      const deps = await ctx.deps();
      report(
        ctx,
        await describeAccount(
          deps,
          await restrictAccount(deps, (await resolveAccount(deps, oneArg(ctx, "<email|id>"))).id, ACTOR),
        ),
        "restricted",
      );
    },
  },
  {
    name: "accounts unrestrict",
    summary: "Lift a restriction; the person is emailed first, and nothing changes if that fails.",
    args: "<email|id>",
    async run(ctx) {
      const deps = await ctx.deps();
      report(
        ctx,
        await describeAccount(
          deps,
          await liftRestriction(deps, (await resolveAccount(deps, oneArg(ctx, "<email|id>"))).id, ACTOR),
        ),
        "unrestricted",
      );
    },
  },
  {
    name: "accounts object",
    summary: "Record an objection (Art. 21): usage_trends applies at once; abuse_detection waits for `privacy decide`.",
    args: "<email|id>",
    flags: { scope: { type: "string", help: `what the person objects to: ${OBJECTION_SCOPES.join(", ")}` } },
    async run(ctx) {
      const scope: ObjectionScope = oneOf(ctx, "scope", OBJECTION_SCOPES);
      const deps = await ctx.deps();
      const request = await objectToProcessing(
        deps,
        (await resolveAccount(deps, oneArg(ctx, "<email|id>"))).id,
        scope,
        ACTOR,
      );
      ctx.emit(request);
      ctx.say(
        `objection to ${scope} recorded as ${request.id}: ${request.completed_at ? "in effect now" : `waiting for a decision, due ${request.due_at}`}`,
      );
    },
  },
];

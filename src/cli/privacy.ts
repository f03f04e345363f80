import { queuePolicyNotices, policyStatus, sendPolicyNotices } from "../privacy/policy";
import { conformanceReport } from "../privacy/report";
import { runRetention } from "../privacy/retention";
import { decideObjection, listRequests, type RightsRequestInfo } from "../privacy/rights";
import { oneArg } from "./accounts";
import { UsageError, requireFlag, type CliContext, type Command } from "./frame";

const ACTOR = "cli";

function requestLine(r: RightsRequestInfo): string {
  const state = r.completed_at ? `${r.outcome} ${r.completed_at}` : r.overdue ? "OVERDUE" : "open";
  return `${r.id}\t${r.account_id}\t${r.kind}${r.scope ? `:${r.scope}` : ""}\t${r.channel}\treceived ${r.received_at}\tdue ${r.due_at}\t${state}`;
}

const countsLine = (counts: object) =>
  Object.entries(counts)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");

/** The rights ledger, the conformance report, retention and policy notices. */
export const privacyCommands: Command[] = [
  {
    name: "privacy requests",
    summary: "The rights ledger: every access/rectify/erase/restrict/object request with due and completion dates.",
    flags: { overdue: { type: "boolean", help: "only open requests past their due date (one calendar month)" } },
    async run(ctx) {
      const rows = await listRequests(await ctx.deps(), { overdue: ctx.flags.overdue === true });
      ctx.emit(rows);
      for (const r of rows) ctx.say(requestLine(r));
      if (rows.length === 0) ctx.say(ctx.flags.overdue ? "no overdue requests" : "no requests");
    },
  },
  {
    name: "privacy decide",
    summary: "Decide an objection to abuse detection: --outcome upheld or dismissed.",
    args: "<request-id>",
    flags: { outcome: { type: "string", help: "upheld or dismissed" } },
    async run(ctx) {
      const outcome = requireFlag(ctx, "outcome");
      if (outcome !== "upheld" && outcome !== "dismissed")
        throw new UsageError("--outcome must be upheld or dismissed");
      const decided = await decideObjection(await ctx.deps(), oneArg(ctx, "<request-id>"), outcome, ACTOR);
      ctx.emit(decided);
      ctx.say(requestLine(decided));
    },
  },
  {
    name: "privacy report",
    summary: "Clause-by-clause conformance with the privacy policy: mechanisms, tests, live settings.",
    async run(ctx) {
      const report = await conformanceReport(await ctx.deps());
      ctx.emit(report);
      ctx.say(
        `privacy policy ${report.policy.version}${report.policy.material ? " (material change)" : ""} — report of ${report.generated_at}`,
      );
      ctx.say(
        `retention: ${countsLine(report.settings.retention)}; minimum age ${report.settings.minimum_age}; billing ${report.settings.billing_mode}`,
      );
      ctx.say(
        `providers: ${report.settings.providers.map((p) => `${p.id} (${p.region}${p.zdr ? ", zdr" : ""})`).join(", ") || "none"}`,
      );
      ctx.say(
        `rights requests: ${countsLine(report.rights_requests)}; answered within ${report.settings.rights_response}`,
      );
      for (const c of report.clauses) {
        ctx.say(`\n${c.clause} ${c.title}: ${c.status}`);
        for (const m of c.mechanisms) ctx.say(`  - ${m}`);
        if (c.tests.length > 0) ctx.say(`  tests: ${c.tests.join(", ")}`);
      }
    },
  },
  {
    name: "retention run",
    summary: "Apply the retention windows now (the server does it hourly); one summary line of counts.",
    flags: { "dry-run": { type: "boolean", help: "report what would change and change nothing" } },
    async run(ctx) {
      const report = await runRetention(await ctx.deps(), { dryRun: ctx.flags["dry-run"] === true });
      ctx.emit(report);
      const { dry_run, ...counts } = report;
      ctx.say(`retention ${dry_run ? "dry run" : "run"}: ${countsLine(counts)}`);
    },
  },
  {
    name: "policy status",
    summary: "The privacy policy version in force, who accepted it, and its change notices.",
    async run(ctx) {
      await printStatus(ctx);
    },
  },
  {
    name: "policy notify",
    summary: "Queue a notice of a material policy change to every verified account and send the due ones now.",
    async run(ctx) {
      const deps = await ctx.deps();
      const queued = await queuePolicyNotices(deps, ACTOR);
      const { sent, failed } = await sendPolicyNotices(deps);
      ctx.say(
        deps.config.policy.material
          ? `queued ${queued} notices; sent ${sent}; ${failed} failed (retried later)`
          : "this version is not a material change: nothing to announce",
      );
      await printStatus(ctx, { queued, sent, failed });
      return failed > 0 ? 1 : 0;
    },
  },
];

async function printStatus(ctx: CliContext, run?: { queued: number; sent: number; failed: number }) {
  const status = await policyStatus(await ctx.deps());
  ctx.emit(run ? { ...status, run } : status);
  ctx.say(
    `policy ${status.version} (${status.material ? "material" : "not material"}); minimum age ${status.minimum_age}`,
  );
  ctx.say(`accepted by ${status.accepted_current} accounts; ${status.verified_accounts} verified accounts`);
  ctx.say(`notices for ${status.version}: ${countsLine(status.notices)}`);
}

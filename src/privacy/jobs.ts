import type { PrivacyDeps } from "./privacyDeps";
import { errorKind } from "../lib/log";
import { queuePolicyNotices, sendPolicyNotices } from "./policy";
import { runRetention } from "./retention";

interface PrivacyJobs {
  /** Stop the timers and wait for a run in progress. */
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * The server's background privacy work: at start, a material policy change queues its notices;
 * the retention windows are applied at start and then hourly; due policy notices are sent every
 * minute (with their retries). Runs never overlap, and the timers do not keep the process alive.
 * Of several instances only the holder of the jobs lock runs them (`leads`); the others skip each
 * run, and one that takes the lock over (its holder died) does the start-up work then, at its next
 * minute.
 */
export function startPrivacyJobs(
  deps: PrivacyDeps,
  leads: () => boolean,
  every = { retentionMs: HOUR_MS, noticesMs: MINUTE_MS },
): PrivacyJobs {
  let last: Promise<unknown> = Promise.resolve();
  const run = (name: string, job: () => Promise<unknown>) => {
    if (!leads()) return;
    last = last
      .then(job)
      .catch((err: unknown) => deps.log.error("privacy_job_failed", { job: name, kind: errorKind(err) }));
  };
  const retention = () => run("retention", () => runRetention(deps));
  const notices = () => run("policy_notices", () => sendPolicyNotices(deps));

  let leading = false;
  const minute = () => {
    const was = leading;
    leading = leads();
    if (leading && !was) {
      run("policy_queue", async () => queuePolicyNotices(deps, "system"));
      retention();
    }
    notices();
  };

  minute();
  const timers = [setInterval(retention, every.retentionMs), setInterval(minute, every.noticesMs)];
  for (const t of timers) t.unref();
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await last;
    },
  };
}

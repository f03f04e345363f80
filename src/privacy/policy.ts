import { and, count, eq, gt, inArray, isNotNull, isNull, lte, ne, not, or, type SQL } from "drizzle-orm";
import type { PrivacyDeps } from "./privacyDeps";
import type { Actor } from "../audit/audit";
import { describeAccount, requireLiveAccount, type AccountRow } from "../accounts/accounts";
import { accounts, policyNotices, underRestriction } from "../db/schema";
import { newId } from "../lib/ids";
import { exec, all, transaction, one } from "../db/tx";
import { publicUrls } from "../lib/publicUrls";

/** A notice being sent is leased this long, so a server and a CLI never mail the same one twice. */
const LEASE_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 3_600_000;
const BATCH = 100;

/** Who hears of a change: verified accounts that have not accepted this version and are not restricted (Art. 18) or erased. */
const noticeable = (version: string) =>
  and(
    isNotNull(accounts.verifiedAt),
    inArray(accounts.status, ["active", "suspended"]),
    not(underRestriction),
    or(isNull(accounts.policyVersion), ne(accounts.policyVersion, version)),
  );

/**
 * Policy §16: a material change of the version in force (`policy.version`, `policy.material`)
 * queues one email notice per account that should hear of it; running again queues nothing twice.
 * Unsent notices of an older version are dropped: the newest text is the one to read.
 */
export async function queuePolicyNotices(
  deps: Pick<PrivacyDeps, "db" | "config" | "clock" | "audit">,
  actor: Actor,
): Promise<number> {
  const { version, material } = deps.config.policy;
  if (!material) return 0;
  const now = deps.clock.now();
  return await transaction(deps.db, async (tx) => {
    await exec(tx.delete(policyNotices).where(and(isNull(policyNotices.sentAt), ne(policyNotices.version, version))));
    const targets = await all(tx.select({ id: accounts.id }).from(accounts).where(noticeable(version)));
    let queued = 0;
    for (const { id } of targets) {
      queued += await exec(
        tx
          .insert(policyNotices)
          .values({ id: newId("pnt"), accountId: id, version, queuedAt: now, nextAttemptAt: now })
          .onConflictDoNothing(),
      );
    }
    if (queued > 0) await deps.audit.record({ actor, action: "policy.notify", details: { version, queued } }, tx);
    return queued;
  });
}

/**
 * Send every due notice through SMTP. A failure backs the notice off (1 min, doubling, at most an
 * hour) for a later pass; a notice whose account can no longer receive it is dropped.
 */
export async function sendPolicyNotices(deps: PrivacyDeps): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  const urls = publicUrls(deps.config.server.public_url);
  for (;;) {
    const now = deps.clock.now();
    const due = await all(
      deps.db
        .select()
        .from(policyNotices)
        .where(and(isNull(policyNotices.sentAt), lte(policyNotices.nextAttemptAt, now)))
        .limit(BATCH),
    );
    if (due.length === 0) return { sent, failed };
    for (const notice of due) {
      if (
        (await exec(
          deps.db
            .update(policyNotices)
            .set({ nextAttemptAt: now + LEASE_MS })
            .where(and(eq(policyNotices.id, notice.id), lte(policyNotices.nextAttemptAt, now))),
        )) === 0
      )
        continue;
      const account = await one(
        deps.db
          .select()
          .from(accounts)
          .where(and(eq(accounts.id, notice.accountId), noticeable(notice.version))),
      );
      if (!account) {
        await exec(deps.db.delete(policyNotices).where(eq(policyNotices.id, notice.id)));
        continue;
      }
      const ok = await deps.mailer.send({
        kind: "policy_notice",
        to: (await describeAccount(deps, account)).email!,
        ...noticeMessage(notice.version, urls),
      });
      const done = deps.clock.now();
      const update = ok
        ? { sentAt: done }
        : {
            attempts: notice.attempts + 1,
            nextAttemptAt: done + Math.min(60_000 * 2 ** notice.attempts, MAX_BACKOFF_MS),
          };
      await exec(deps.db.update(policyNotices).set(update).where(eq(policyNotices.id, notice.id)));
      if (ok) sent++;
      else failed++;
    }
  }
}

function noticeMessage(version: string, urls: ReturnType<typeof publicUrls>) {
  return {
    subject: `Kriora's privacy policy has changed (version ${version})`,
    text:
      `We have made a material change to our privacy policy. The version in force is now ${version}.\n\n` +
      `Read it, with a summary of what is in force: ${urls.policy()}\n\n` +
      `You can accept it in your account's console: ${urls.console("data")}\n\nYour rights — access, correction, erasure,\n` +
      "restriction and objection — are unchanged and can be exercised from your account at any time.\n",
  };
}

/** Record that the account accepted the version in force (Policy §7 consent, §16). */
export async function acceptPolicy(deps: PrivacyDeps, accountId: string, actor: Actor): Promise<AccountRow> {
  const { version } = deps.config.policy;
  return await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, accountId);
    await deps.audit.record({ actor, action: "policy.accept", target: accountId, details: { version } }, tx);
    return (await one(
      tx
        .update(accounts)
        .set({ policyVersion: version, policyAcceptedAt: deps.clock.now(), updatedAt: deps.clock.now() })
        .where(eq(accounts.id, accountId))
        .returning(),
    ))!;
  });
}

/** The version in force, who accepted it, and where its notices stand. */
export async function policyStatus(deps: Pick<PrivacyDeps, "db" | "config">) {
  const { version, material, minimum_age } = deps.config.policy;
  const ofAccounts = async (where: SQL | undefined) =>
    (await one(deps.db.select({ n: count() }).from(accounts).where(where)))?.n ?? 0;
  const ofNotices = async (where: SQL | undefined) =>
    (
      await one(
        deps.db
          .select({ n: count() })
          .from(policyNotices)
          .where(and(eq(policyNotices.version, version), where)),
      )
    )?.n ?? 0;
  return {
    version,
    material,
    minimum_age,
    verified_accounts: await ofAccounts(and(isNotNull(accounts.verifiedAt), ne(accounts.status, "erased"))),
    accepted_current: await ofAccounts(eq(accounts.policyVersion, version)),
    notices: {
      sent: await ofNotices(isNotNull(policyNotices.sentAt)),
      pending: await ofNotices(isNull(policyNotices.sentAt)),
      retrying: await ofNotices(and(isNull(policyNotices.sentAt), gt(policyNotices.attempts, 0))),
    },
  };
}

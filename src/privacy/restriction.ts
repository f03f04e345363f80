import { eq } from "drizzle-orm";
import type { PrivacyDeps } from "./privacyDeps";
import type { Actor } from "../audit/audit";
import { describeAccount, requireLiveAccount, type AccountRow } from "../accounts/accounts";
import { accounts } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { recordRequest } from "./rights";
import { one, transaction } from "../db/tx";

/**
 * Restriction (Policy §14, Art. 18): the account is frozen. Its credentials lose the `model` scope
 * at once (auth/grant.ts), so no key can make a request; the data is kept — the retention run
 * leaves a restricted account's usage and billing rows alone — and nothing else is processed:
 * no purchases, no policy notices. The person can still sign in and read or export their data.
 */
export async function restrictAccount(deps: PrivacyDeps, accountId: string, actor: Actor): Promise<AccountRow> {
  const row = await transaction(deps.db, async (tx) => {
    const account = await requireLiveAccount(tx, accountId);
    if (account.status !== "active")
      throw new KrioraError("conflict", `Only an active account can be restricted (this one is ${account.status}).`);
    const request = await recordRequest(deps, tx, { accountId, kind: "restrict", actor, done: true });
    await deps.audit.record(
      { actor, action: "account.restrict", target: accountId, details: { request: request.id } },
      tx,
    );
    return (await one(
      tx
        .update(accounts)
        .set({ status: "restricted", updatedAt: deps.clock.now() })
        .where(eq(accounts.id, accountId))
        .returning(),
    ))!;
  });
  await deps.authView.refreshAccount(accountId);
  return row;
}

/**
 * Lift a restriction: the person is told by email first (Art. 18(3)); only once the message has
 * been accepted by the mail server does the account become active again. If it cannot be sent
 * the restriction stays and the caller is told to retry.
 */
export async function liftRestriction(deps: PrivacyDeps, accountId: string, actor: Actor): Promise<AccountRow> {
  const account = await requireLiveAccount(deps.db, accountId);
  if (account.status !== "restricted") throw new KrioraError("conflict", "The account is not restricted.");
  const sent = await deps.mailer.send({
    kind: "restriction_lifted",
    to: (await describeAccount(deps, account)).email!,
    subject: "The restriction on your Kriora account is being lifted",
    text:
      "You asked us to restrict the processing of your data (GDPR Art. 18). That restriction is being lifted now:\n" +
      "your keys work again and your account is processed as before.\n\n" +
      "If you think this is wrong, reply to this message or write to the contact address in our privacy policy (§17).\n",
  });
  if (!sent)
    throw new KrioraError(
      "unavailable",
      "The account holder could not be notified by email, so the restriction stays; try again once mail is working.",
    );
  const row = await transaction(deps.db, async (tx) => {
    if ((await requireLiveAccount(tx, accountId)).status !== "restricted")
      throw new KrioraError("conflict", "The account is not restricted.");
    await deps.audit.record(
      { actor, action: "account.unrestrict", target: accountId, details: { notified: true } },
      tx,
    );
    return (await one(
      tx
        .update(accounts)
        .set({ status: "active", updatedAt: deps.clock.now() })
        .where(eq(accounts.id, accountId))
        .returning(),
    ))!;
  });
  await deps.authView.refreshAccount(accountId);
  return row;
}

import { eq } from "drizzle-orm";
import type { PrivacyDeps } from "./privacyDeps";
import type { Actor } from "../audit/audit";
import { accountKey, requireEmail, requireLiveAccount, setAccountEmail, type AccountRow } from "../accounts/accounts";
import type { Tx } from "../db/tx";
import { emailChanges } from "../db/schema";
import { newOpaqueToken, parseOpaqueToken, takeSingleUse } from "../lib/opaqueToken";
import { completeRequest, recordRequest } from "./rights";
import { publicUrls } from "../lib/publicUrls";
import { iso } from "../lib/clock";
import { all, exec, transaction, one } from "../db/tx";

const EMAIL_CHANGE_TTL_MS = 24 * 3_600_000;

type ChangeRow = typeof emailChanges.$inferSelect;

export const changeAt = (rowId: string) => ({ table: "email_changes", column: "email_enc", rowId });

/** The new address of a pending change, under its account's data key. */
const changeAddress = async (deps: Pick<PrivacyDeps, "dataKeys" | "cipher">, tx: Tx, row: ChangeRow) =>
  (await accountKey(deps, tx, row.accountId)).decrypt(row.emailEnc, changeAt(row.id));

/**
 * Correction of the address (Policy §14, Art. 16), asked by the account holder: the new address
 * gets a link and the account changes only when it is opened, so nobody can move an account to an
 * address they do not control. An earlier pending change of the account lapses. Recorded in the
 * rights ledger (open until the link is opened) and audited.
 */
export async function requestEmailChange(
  deps: PrivacyDeps,
  accountId: string,
  rawEmail: string,
  actor: Actor,
): Promise<{ request_id: string; expires_at: string }> {
  const email = requireEmail(rawEmail);
  const now = deps.clock.now();
  const { id, token, secretHash } = newOpaqueToken("ecg");
  const request = await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, accountId);
    for (const old of await all(tx.select().from(emailChanges).where(eq(emailChanges.accountId, accountId))))
      await completeRequest(deps, tx, old.requestId, "lapsed");
    await exec(tx.delete(emailChanges).where(eq(emailChanges.accountId, accountId)));
    const request = await recordRequest(deps, tx, { accountId, kind: "rectify", actor, scope: "email" });
    await exec(
      tx.insert(emailChanges).values({
        id,
        accountId,
        emailEnc: (await accountKey(deps, tx, accountId)).encrypt(email, changeAt(id)),
        secretHash,
        requestId: request.id,
        createdAt: now,
        expiresAt: now + EMAIL_CHANGE_TTL_MS,
      }),
    );
    await deps.audit.record(
      { actor, action: "account.email_change_requested", target: accountId, details: { request: request.id } },
      tx,
    );
    return request;
  });
  const url = publicUrls(deps.config.server.public_url).emailChange(token);
  void deps.mailer.send({
    kind: "email_change",
    to: email,
    subject: "Confirm your new Kriora address",
    text: `Open this link within 24 hours to make this the address of your Kriora account:\n\n${url}\n\nThe link works once. If you did not ask for it, ignore this message.\n`,
  });
  return { request_id: request.id, expires_at: iso(now + EMAIL_CHANGE_TTL_MS) };
}

/**
 * Open the link: single use (the row goes whatever happens next). Within its lifetime the account
 * takes the new address (refused if another account has it meanwhile) and the request is done;
 * an expired link lets the request lapse. Returns the changed account, or null.
 */
export async function confirmEmailChange(deps: PrivacyDeps, token: string): Promise<AccountRow | null> {
  const parsed = parseOpaqueToken(token);
  if (!parsed) return null;
  const now = deps.clock.now();
  const change = await transaction(deps.db, async (tx) => {
    const row = await takeSingleUse(
      parsed,
      async (id) => await one(tx.select().from(emailChanges).where(eq(emailChanges.id, id))),
      async (id) => await exec(tx.delete(emailChanges).where(eq(emailChanges.id, id))),
    );
    if (!row) return null;
    if (row.expiresAt > now) return row;
    await completeRequest(deps, tx, row.requestId, "lapsed");
    return null;
  });
  if (!change) return null;
  try {
    const account = await setAccountEmail(
      deps,
      change.accountId,
      await changeAddress(deps, deps.db, change),
      `account:${change.accountId}`,
    );
    await completeRequest(deps, deps.db, change.requestId, "done");
    return account;
  } catch (err) {
    await completeRequest(deps, deps.db, change.requestId, "lapsed");
    throw err;
  }
}

/** An operator's correction (`kriora accounts set-email`): applied at once, and recorded as a done request. */
export async function correctEmail(
  deps: PrivacyDeps,
  accountId: string,
  rawEmail: string,
  actor: Actor,
): Promise<AccountRow> {
  const account = await setAccountEmail(deps, accountId, rawEmail, actor);
  await recordRequest(deps, deps.db, { accountId, kind: "rectify", actor, scope: "email", done: true });
  return account;
}

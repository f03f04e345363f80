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

const EMAIL_CHANGE_TTL_MS = 24 * 3_600_000;

type ChangeRow = typeof emailChanges.$inferSelect;

export const changeAt = (rowId: string) => ({ table: "email_changes", column: "email_enc", rowId });

/** The new address of a pending change, under its account's data key. */
export const changeAddress = (deps: Pick<PrivacyDeps, "dataKeys">, tx: Tx, row: ChangeRow) =>
  accountKey(deps, tx, row.accountId).decrypt(row.emailEnc, changeAt(row.id));

/**
 * Correction of the address (Policy §14, Art. 16), asked by the account holder: the new address
 * gets a link and the account changes only when it is opened, so nobody can move an account to an
 * address they do not control. An earlier pending change of the account lapses. Recorded in the
 * rights ledger (open until the link is opened) and audited.
 */
export function requestEmailChange(
  deps: PrivacyDeps,
  accountId: string,
  rawEmail: string,
  actor: Actor,
): { request_id: string; expires_at: string } {
  const email = requireEmail(rawEmail);
  const now = deps.clock.now();
  const { id, token, secretHash } = newOpaqueToken("ecg");
  const request = deps.db.transaction((tx) => {
    requireLiveAccount(tx, accountId);
    for (const old of tx.select().from(emailChanges).where(eq(emailChanges.accountId, accountId)).all())
      completeRequest(deps, tx, old.requestId, "lapsed");
    tx.delete(emailChanges).where(eq(emailChanges.accountId, accountId)).run();
    const request = recordRequest(deps, tx, { accountId, kind: "rectify", actor, scope: "email" });
    tx.insert(emailChanges)
      .values({
        id,
        accountId,
        emailEnc: accountKey(deps, tx, accountId).encrypt(email, changeAt(id)),
        secretHash,
        requestId: request.id,
        createdAt: now,
        expiresAt: now + EMAIL_CHANGE_TTL_MS,
      })
      .run();
    deps.audit.record(
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
export function confirmEmailChange(deps: PrivacyDeps, token: string): AccountRow | null {
  const parsed = parseOpaqueToken(token);
  if (!parsed) return null;
  const now = deps.clock.now();
  const change = deps.db.transaction((tx) => {
    const row = takeSingleUse(
      parsed,
      (id) => tx.select().from(emailChanges).where(eq(emailChanges.id, id)).get(),
      (id) => tx.delete(emailChanges).where(eq(emailChanges.id, id)).run(),
    );
    if (!row) return null;
    if (row.expiresAt > now) return row;
    completeRequest(deps, tx, row.requestId, "lapsed");
    return null;
  });
  if (!change) return null;
  try {
    const account = setAccountEmail(
      deps,
      change.accountId,
      changeAddress(deps, deps.db, change),
      `account:${change.accountId}`,
    );
    completeRequest(deps, deps.db, change.requestId, "done");
    return account;
  } catch (err) {
    completeRequest(deps, deps.db, change.requestId, "lapsed");
    throw err;
  }
}

/** An operator's correction (`kriora accounts set-email`): applied at once, and recorded as a done request. */
export function correctEmail(deps: PrivacyDeps, accountId: string, rawEmail: string, actor: Actor): AccountRow {
  const account = setAccountEmail(deps, accountId, rawEmail, actor);
  recordRequest(deps, deps.db, { accountId, kind: "rectify", actor, scope: "email", done: true });
  return account;
}

import { and, eq, isNotNull, lt, or, type SQL } from "drizzle-orm";
import type { AccountDeps } from "./accountDeps";
import type { Config } from "../config/schema";
import { accounts, magicLinks } from "../db/schema";
import { KrioraError } from "../lib/errors";
import { newOpaqueToken, parseOpaqueToken, takeSingleUse } from "../lib/opaqueToken";
import { findAccountByEmail, insertAccount, requireAccount } from "./accounts";
import type { Tx } from "../db/tx";
import type { Actor } from "../audit/audit";
import { iso } from "../lib/clock";
import { emailIndex } from "./email";
import { publicUrls } from "../lib/publicUrls";
import { all, exec, transaction, one } from "../db/tx";

const MAGIC_LINK_TTL_MS = 15 * 60_000;

/** The consent a sign-up records: minimum age confirmed (Policy §15), policy version accepted (§7). */
interface SignupConsent {
  ageConfirmedAt: number;
  policyVersion: string;
}

/** Refuses a sign-up that lacks either confirmation, with a message saying which. */
export function signupConsent(
  deps: Pick<AccountDeps, "config" | "clock">,
  input: { age_confirmed: boolean; accept_policy: boolean },
): SignupConsent {
  const { minimum_age, version } = deps.config.policy;
  if (!input.age_confirmed)
    throw new KrioraError(
      "invalid_request",
      `Sign-up requires confirming that you are at least ${minimum_age} years old.`,
      { param: "age_confirmed" },
    );
  if (!input.accept_policy)
    throw new KrioraError("invalid_request", `Sign-up requires accepting the privacy policy (version ${version}).`, {
      param: "accept_policy",
    });
  return { ageConfirmedAt: deps.clock.now(), policyVersion: version };
}

export const signupEmailAt = (rowId: string) => ({ table: "magic_links", column: "email_enc", rowId });
const canSignIn = (status: string) => status === "active" || status === "restricted";

/**
 * Sign-up: a new address gets a confirmation link that creates the account when opened; a known
 * one gets a sign-in link. Same outcome for the caller either way (no account enumeration).
 * `mail: false` (the address is at its mail cap) does the same work and sends nothing.
 */
export async function requestSignupLink(
  deps: AccountDeps,
  email: string,
  consent: SignupConsent,
  opts: { mail: boolean } = { mail: true },
): Promise<void> {
  const existing = await findAccountByEmail(deps, email);
  if (existing) {
    await issueLink(
      deps,
      email,
      "login",
      canSignIn(existing.status) ? (id) => ({ id, accountId: existing.id }) : null,
      opts.mail,
    );
    return;
  }
  await issueLink(
    deps,
    email,
    "signup",
    (id, emailEnc) => ({
      id,
      emailEnc,
      emailIndex: emailIndex(deps.cipher, email),
      ageConfirmedAt: consent.ageConfirmedAt,
      policyVersion: consent.policyVersion,
    }),
    opts.mail,
  );
}

/** Sign-in: a link only if the address has an account that may sign in; silence otherwise (after the same work). */
export async function requestLoginLink(
  deps: AccountDeps,
  email: string,
  opts: { mail: boolean } = { mail: true },
): Promise<void> {
  const account = await findAccountByEmail(deps, email);
  await issueLink(
    deps,
    email,
    "login",
    account && canSignIn(account.status) ? (id) => ({ id, accountId: account.id }) : null,
    opts.mail,
  );
}

type LinkFields = Omit<typeof magicLinks.$inferInsert, "secretHash" | "purpose" | "createdAt" | "expiresAt">;
type LinkRow = typeof magicLinks.$inferInsert;

/**
 * Delete the links that `where` matches, and first the data keys of the sign-up links among them
 * (each pending sign-up's address is under a key of its own). Returns how many links went.
 */
export async function deleteLinks(deps: Pick<AccountDeps, "dataKeys">, tx: Tx, where: SQL): Promise<number> {
  const signups = await all(
    tx
      .select({ id: magicLinks.id })
      .from(magicLinks)
      .where(and(where, isNotNull(magicLinks.emailEnc))),
  );
  await deps.dataKeys.destroy(
    tx,
    signups.map((l) => l.id),
  );
  return await exec(tx.delete(magicLinks).where(where));
}

/** The links of an account, and the pending sign-ups for its address (found by blind index). */
export const linksOf = (accountId: string, index: string | null): SQL =>
  index
    ? or(eq(magicLinks.accountId, accountId), eq(magicLinks.emailIndex, index))!
    : eq(magicLinks.accountId, accountId);

/**
 * Stores a link (none: `row` null) with its data key and runs `audit`, in one transaction;
 * expired links are swept on the way.
 */
async function storeLink(
  deps: AccountDeps,
  now: number,
  row: LinkRow | null,
  opts: { key?: { save(tx: Tx): Promise<unknown> }; audit?: (tx: Tx) => Promise<unknown> } = {},
): Promise<void> {
  await transaction(deps.db, async (tx) => {
    await deleteLinks(deps, tx, lt(magicLinks.expiresAt, now));
    if (row) {
      await exec(tx.insert(magicLinks).values(row));
      await opts.key?.save(tx);
    }
    await opts.audit?.(tx);
  });
}

/**
 * Whether or not a link is stored and mailed (`fields` null: no account that may sign in), the
 * same work is done — a token, an encryption of the address (a sign-up row keeps it; otherwise it
 * is discarded), one transaction, the message — so the answer's timing does not tell whether the
 * address has an account.
 */
async function issueLink(
  deps: AccountDeps,
  email: string,
  purpose: "signup" | "login",
  fields: ((id: string, emailEnc: string) => LinkFields) | null,
  mail: boolean,
): Promise<void> {
  const now = deps.clock.now();
  const { id, token, secretHash } = newOpaqueToken("mlk");
  const minted = deps.dataKeys.mint(id, now);
  const emailEnc = minted.key.encrypt(email, signupEmailAt(id));
  const row =
    fields && mail
      ? { ...fields(id, emailEnc), secretHash, purpose, createdAt: now, expiresAt: now + MAGIC_LINK_TTL_MS }
      : null;
  await storeLink(deps, now, row, { key: row?.emailEnc ? minted : undefined });
  const message = { kind: `magic_link_${purpose}`, to: email, ...linkMessage(deps.config, purpose, token) };
  // Not awaited: the answer must not wait on (or reveal) the mail delivery; the mailer logs failures.
  if (row) void deps.mailer.send(message);
}

/**
 * `kriora accounts login-link`: a one-time sign-in URL handed over by an admin instead of mailed
 * (bootstrapping the first admin, or a server without SMTP). Audited; the URL itself is not.
 */
export async function issueLoginLink(
  deps: AccountDeps,
  accountId: string,
  actor: Actor,
): Promise<{ url: string; expires_at: string }> {
  const account = await requireAccount(deps, accountId);
  if (!canSignIn(account.status))
    throw new KrioraError("conflict", `Account ${account.id} is ${account.status} and cannot sign in.`);
  const now = deps.clock.now();
  const { id, token, secretHash } = newOpaqueToken("mlk");
  const expiresAt = now + MAGIC_LINK_TTL_MS;
  await storeLink(
    deps,
    now,
    { id, accountId: account.id, secretHash, purpose: "login", createdAt: now, expiresAt },
    { audit: (tx) => deps.audit.record({ actor, action: "account.login_link_issued", target: account.id }, tx) },
  );
  return { url: publicUrls(deps.config.server.public_url).signIn(token), expires_at: iso(expiresAt) };
}

function linkMessage(config: Readonly<Config>, purpose: "signup" | "login", token: string) {
  const url = publicUrls(config.server.public_url).signIn(token);
  const minutes = MAGIC_LINK_TTL_MS / 60_000;
  const what = purpose === "signup" ? "confirm your new Kriora account" : "sign in to Kriora";
  return {
    subject: purpose === "signup" ? "Confirm your Kriora account" : "Your Kriora sign-in link",
    text: `Open this link within ${minutes} minutes to ${what}:\n\n${url}\n\nThe link works once. If you did not ask for it, ignore this message.\n`,
  };
}

/**
 * Open a link: the row is deleted whatever happens next (single use). A sign-up link creates the
 * account with its consent record; any link marks the address verified. Returns the account id
 * that may now have a session, or null.
 */
export async function redeemMagicLink(deps: AccountDeps, token: string): Promise<string | null> {
  const parsed = parseOpaqueToken(token);
  if (!parsed) return null;
  const now = deps.clock.now();
  const accountId = await transaction(deps.db, async (tx) => {
    const link = await takeSingleUse(
      parsed,
      async (id) => await one(tx.select().from(magicLinks).where(eq(magicLinks.id, id))),
      async (id) => await exec(tx.delete(magicLinks).where(eq(magicLinks.id, id))),
    );
    if (!link) return null;
    if (link.expiresAt <= now) {
      await deps.dataKeys.destroy(tx, [link.id]);
      return null;
    }
    const id = link.accountId ?? (await accountForSignup(deps, tx, link));
    if (id === null) return null;
    const account = await one(tx.select().from(accounts).where(eq(accounts.id, id)));
    if (!account || !canSignIn(account.status)) return null;
    if (account.verifiedAt === null)
      await exec(tx.update(accounts).set({ verifiedAt: now, updatedAt: now }).where(eq(accounts.id, id)));
    return id;
  });
  if (accountId) await deps.authView.refreshAccount(accountId);
  return accountId;
}

/** The account a sign-up link opens (created now unless the address has one), or null if its key is gone. */
async function accountForSignup(
  deps: AccountDeps,
  tx: Tx,
  link: typeof magicLinks.$inferSelect,
): Promise<string | null> {
  const existing = link.emailIndex
    ? await one(tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.emailIndex, link.emailIndex)))
    : undefined;
  const key = await deps.dataKeys.get(tx, link.id);
  // The link's own key goes with it: from here the address lives under the account's key.
  await deps.dataKeys.destroy(tx, [link.id]);
  if (existing) return existing.id;
  if (!key) return null;
  const email = key.decrypt(link.emailEnc!, signupEmailAt(link.id));
  const consent = { ageConfirmedAt: link.ageConfirmedAt!, policyVersion: link.policyVersion! };
  return (await insertAccount(deps, tx, { email, consent }, (id) => `account:${id}`)).id;
}

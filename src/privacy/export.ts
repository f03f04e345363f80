import { asc, eq, inArray, like, or } from "drizzle-orm";
import { iso, isoOrNull } from "../lib/clock";
import type { PrivacyDeps } from "./privacyDeps";
import type { Actor } from "../audit/audit";
import { accountKey, describeAccount, requireLiveAccount } from "../accounts/accounts";
import { customerOf } from "../billing/customers";
import { describeLedgerRow, ledgerBalance } from "../billing/ledger";
import {
  abuseFlags,
  auditLog,
  billingCheckouts,
  billingLedger,
  emailChanges,
  policyNotices,
  sessions,
  trendObjections,
  usageDaily,
  usageEvents,
} from "../db/schema";
import { describeKey, listKeys } from "../keys/apiKeys";
import { formatUsd, jsonMicros } from "../lib/money";
import { changeAt } from "./rectify";
import { listRequests, markRequestFailed, recordRequest } from "./rights";
import { usageIpLocation } from "../usage/writer";
import { all, one, transaction } from "../db/tx";

/** The version of the export document; a change of shape gets a new one. */
export const EXPORT_SCHEMA = "kriora.export/v1" as const;

/**
 * Everything held about one account, as one JSON document (Policy §14 access; GDPR Art. 15 and
 * 20): the account and its consents, keys and sessions (metadata: secrets are never stored),
 * every usage row with its client address decrypted, the daily aggregates, the ledger and billing,
 * rights requests, policy notices, abuse decisions on its keys, and the audit entries about it.
 */
async function buildExport(deps: PrivacyDeps, accountId: string) {
  const account = await requireLiveAccount(deps.db, accountId);
  const db = deps.db;
  const keys = await listKeys(deps, accountId);
  const keyIds = keys.map((k) => k.id);
  const pending = await all(db.select().from(emailChanges).where(eq(emailChanges.accountId, accountId)));
  const objection = await one(db.select().from(trendObjections).where(eq(trendObjections.accountId, accountId)));
  const balance = await ledgerBalance(db, accountId);
  const key = await accountKey(deps, db, accountId);
  return {
    schema: EXPORT_SCHEMA,
    generated_at: iso(deps.clock.now()),
    account: await describeAccount(deps, account),
    consents: {
      age_confirmed_at: isoOrNull(account.ageConfirmedAt),
      minimum_age: deps.config.policy.minimum_age,
      policy_version_accepted: account.policyVersion,
      policy_accepted_at: isoOrNull(account.policyAcceptedAt),
      policy_version_in_force: deps.config.policy.version,
      usage_trends_objection_at: objection ? iso(objection.at) : null,
    },
    keys: keys.map(describeKey),
    sessions: (
      await all(db.select().from(sessions).where(eq(sessions.accountId, accountId)).orderBy(asc(sessions.createdAt)))
    ).map((s) => ({ id: s.id, created_at: iso(s.createdAt), expires_at: iso(s.expiresAt) })),
    pending_email_changes: pending.map((c) => ({
      email: key.decrypt(c.emailEnc, changeAt(c.id)),
      requested_at: iso(c.createdAt),
      expires_at: iso(c.expiresAt),
    })),
    usage: {
      events: (
        await all(
          db
            .select()
            .from(usageEvents)
            .where(eq(usageEvents.accountId, accountId))
            .orderBy(asc(usageEvents.at), asc(usageEvents.id)),
        )
      ).map((e) => ({
        id: e.id,
        at: iso(e.at),
        key_id: e.keyId,
        ip: e.ipEnc === null ? null : key.decrypt(e.ipEnc, usageIpLocation(e.id)),
        model: e.model,
        provider: e.provider,
        endpoint: e.endpoint,
        stream: e.stream,
        status: e.status,
        outcome: e.outcome,
        input_tokens: e.inputTokens,
        output_tokens: e.outputTokens,
        cached_input_tokens: e.cachedInputTokens,
        estimated: e.estimated,
        cost_micros: e.costMicros,
        latency_ms: e.latencyMs,
        error_type: e.errorType,
        error_code: e.errorCode,
      })),
      daily: (
        await all(
          db
            .select()
            .from(usageDaily)
            .where(eq(usageDaily.accountId, accountId))
            .orderBy(asc(usageDaily.day), asc(usageDaily.model)),
        )
      ).map((d) => ({
        day: d.day,
        model: d.model,
        requests: d.requests,
        input_tokens: d.inputTokens,
        output_tokens: d.outputTokens,
        cached_input_tokens: d.cachedInputTokens,
        cost_micros: d.costMicros,
        errors: d.errors,
      })),
    },
    billing: {
      mode: deps.billing.mode,
      balance_micros: jsonMicros(balance),
      balance_usd: formatUsd(balance),
      stripe_customer_id: (await customerOf(deps, accountId)) ?? null,
      ledger: (
        await all(
          db.select().from(billingLedger).where(eq(billingLedger.accountId, accountId)).orderBy(asc(billingLedger.seq)),
        )
      ).map(describeLedgerRow),
      checkouts: (
        await all(
          db
            .select()
            .from(billingCheckouts)
            .where(eq(billingCheckouts.accountId, accountId))
            .orderBy(asc(billingCheckouts.createdAt)),
        )
      ).map((c) => ({
        id: c.id,
        amount_usd: formatUsd(c.amountMicros),
        status: c.status,
        created_at: iso(c.createdAt),
        expires_at: iso(c.expiresAt),
      })),
    },
    abuse_flags: (keyIds.length === 0
      ? []
      : await all(db.select().from(abuseFlags).where(inArray(abuseFlags.subject, keyIds)))
    ).map((f) => ({
      id: f.id,
      kind: f.kind,
      key_id: f.subject,
      details: JSON.parse(f.details) as Record<string, number>,
      created_at: iso(f.createdAt),
      expires_at: isoOrNull(f.expiresAt),
      cleared_at: isoOrNull(f.clearedAt),
    })),
    rights_requests: await listRequests(deps, { accountId }),
    policy_notices: (await all(db.select().from(policyNotices).where(eq(policyNotices.accountId, accountId)))).map(
      (n) => ({ version: n.version, queued_at: iso(n.queuedAt), sent_at: isoOrNull(n.sentAt) }),
    ),
    audit: await auditAbout(deps, accountId, keyIds),
  };
}

type AccountExport = Awaited<ReturnType<typeof buildExport>>;

/** Entries whose actor or target is the account or one of its keys, or whose details name it. */
async function auditAbout(deps: PrivacyDeps, accountId: string, keyIds: string[]) {
  return (
    await all(
      deps.db
        .select()
        .from(auditLog)
        .where(
          or(
            eq(auditLog.target, accountId),
            inArray(auditLog.actor, [`account:${accountId}`, `admin:${accountId}`]),
            keyIds.length === 0 ? undefined : inArray(auditLog.target, keyIds),
            like(auditLog.details, `%"${accountId}"%`),
          ),
        )
        .orderBy(asc(auditLog.seq)),
    )
  ).map((r) => ({
    seq: r.seq,
    at: iso(r.at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: JSON.parse(r.details) as Record<string, string | number | boolean | null>,
  }));
}

/**
 * Answer an access request: recorded in the rights ledger and audited (an admin's read of a
 * person's data is itself an audited act, Policy §9), then the document, which includes both (the
 * request as done). If the document cannot be built after all, the request is marked failed.
 */
export async function exportAccount(deps: PrivacyDeps, accountId: string, actor: Actor): Promise<AccountExport> {
  const request = await transaction(deps.db, async (tx) => {
    await requireLiveAccount(tx, accountId);
    const request = await recordRequest(deps, tx, { accountId, kind: "access", actor, done: true });
    await deps.audit.record(
      { actor, action: "account.export", target: accountId, details: { request: request.id } },
      tx,
    );
    return request;
  });
  try {
    return await buildExport(deps, accountId);
  } catch (err) {
    await markRequestFailed(deps, request.id);
    throw err;
  }
}

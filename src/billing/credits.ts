import type { Actor, AuditTrail } from "../audit/audit";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";
import { appendLedger, type LedgerRow } from "./ledger";

export interface CreditChange {
  accountId: string;
  /** `grant`: credits given (positive); `adjustment`: a correction either way. */
  kind: "grant" | "adjustment";
  amountMicros: number;
  reason: string;
}

/**
 * A manual ledger entry (`kriora credits grant|adjust`, the admin API), audited in the same
 * transaction. The reason is kept with the row for `billing_years`, so it must not carry personal
 * data: an address-like reason is refused, and the audit entry holds only ids and the amount.
 */
export function changeCredits(deps: { db: Db; audit: AuditTrail; clock: Clock }, change: CreditChange, actor: Actor): LedgerRow {
  const reason = change.reason.trim();
  if (reason.length === 0 || reason.length > 200) throw new KrioraError("invalid_request", "A reason of 1 to 200 characters is required.", { param: "reason" });
  if (reason.includes("@")) throw new KrioraError("invalid_request", "The reason is kept with billing records: leave out email addresses and other personal data.", { param: "reason" });
  const wrongSign = change.kind === "grant" ? change.amountMicros <= 0 : change.amountMicros === 0;
  if (wrongSign) throw new KrioraError("invalid_request", change.kind === "grant" ? "A grant must be positive." : "An adjustment cannot be zero.", { param: "amount" });
  return deps.db.transaction((tx) => {
    const row = appendLedger(tx, { accountId: change.accountId, at: deps.clock.now(), kind: change.kind, amountMicros: change.amountMicros, reason })!;
    deps.audit.record({ actor, action: `billing.${change.kind}`, target: change.accountId, details: { ledger_id: row.id, amount_micros: row.amountMicros } }, tx);
    return row;
  });
}

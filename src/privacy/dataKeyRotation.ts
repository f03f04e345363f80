import type { Actor } from "../audit/audit";
import { transaction } from "../db/tx";
import type { PrivacyDeps } from "./privacyDeps";

interface RotationReport {
  /** Keys re-wrapped now (the others were under the newest master key already). */
  rewrapped: number;
  keys: number;
  /** The id of the master key every data key is now wrapped under (`k1`, `k2` … in file order). */
  master_key: string;
}

/**
 * `kriora datakeys rotate`: every data key is re-wrapped under the newest master key, in one
 * transaction with its audit entry. The data keys themselves, and so every ciphertext, stay as
 * they are; only their wrapping changes.
 */
export async function rotateDataKeys(
  deps: Pick<PrivacyDeps, "db" | "dataKeys" | "audit" | "clock">,
  actor: Actor,
): Promise<RotationReport> {
  return await transaction(deps.db, async (tx) => {
    const report = await deps.dataKeys.rewrap(tx, deps.clock.now());
    await deps.audit.record({ actor, action: "data_keys.rotate", details: { ...report } }, tx);
    return report;
  });
}

import { inArray } from "drizzle-orm";
import { deleteByAccount, type ErasureRule } from "../db/erasure";
import { abuseFlags, trendObjections, usageDaily, usageEvents } from "../db/schema";
import { exec, type Tx } from "../db/tx";

const deleteEvents = deleteByAccount(usageEvents, usageEvents.accountId);
const deleteDaily = deleteByAccount(usageDaily, usageDaily.accountId);

/** Usage rows (with their encrypted IPs) and the account's daily aggregates. */
export async function deleteUsage(tx: Tx, accountId: string): Promise<{ events: number; daily: number }> {
  return { events: await deleteEvents(tx, { accountId }), daily: await deleteDaily(tx, { accountId }) };
}

/** Erasure of the usage tables: every row about the account or its keys goes. */
export const usageErasure: ErasureRule[] = [
  { table: usageEvents, export: { sections: ["usage.events"] }, action: "delete", erase: deleteEvents },
  { table: usageDaily, export: { sections: ["usage.daily"] }, action: "delete", erase: deleteDaily },
  {
    table: abuseFlags,
    export: { sections: ["abuse_flags"] },
    action: "delete",
    erase: async (tx, { keyIds }) => {
      if (keyIds.length === 0) return 0;
      return await exec(tx.delete(abuseFlags).where(inArray(abuseFlags.subject, keyIds)));
    },
  },
  {
    table: trendObjections,
    export: { sections: ["consents.usage_trends_objection_at"] },
    action: "delete",
    erase: deleteByAccount(trendObjections, trendObjections.accountId),
  },
];

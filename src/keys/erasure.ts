import { deleteByAccount, type ErasureRule } from "../db/erasure";
import { apiKeys } from "../db/schema";

/** Erasure deletes the account's API keys (their abuse flags go with the usage tables). */
export const keysErasure: ErasureRule[] = [
  {
    table: apiKeys,
    export: { sections: ["keys"] },
    action: "delete",
    erase: deleteByAccount(apiKeys, apiKeys.accountId),
  },
];

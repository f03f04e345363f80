import type { AccountDeps } from "../accounts/accountDeps";
import type { Billing } from "../billing/billing";
import type { DbHandle } from "../db/client";
import type { KeyDeps } from "../keys/keyDeps";
import type { Logger } from "../lib/log";
import type { UsageWriter } from "../usage/writer";

/** What the privacy services use (the wiring's `Deps` has all of it); each takes the part it needs. */
export interface PrivacyDeps extends AccountDeps {
  authView: AccountDeps["authView"] & KeyDeps["authView"];
  handle: DbHandle;
  log: Logger;
  billing: Billing;
  /** Flushed before an erasure, so no buffered usage row of the account lands after it. */
  usageWriter: UsageWriter;
}

import type { AuditTrail } from "../audit/audit";
import type { Config } from "../config/schema";
import type { FieldCipher } from "../crypto/fields";
import type { Db } from "../db/client";
import type { DataKeys } from "../db/dataKeys";
import type { Clock } from "../lib/clock";
import type { Mailer } from "../mail/mailer";

/** What the account services use (the wiring's `Deps` has all of it); each takes the part it needs. */
export interface AccountDeps {
  config: Readonly<Config>;
  db: Db;
  /** Blind indexes (lookups by email) under the master key. */
  cipher: FieldCipher;
  /** Per-account data keys: the email and other personal fields are encrypted under them. */
  dataKeys: DataKeys;
  audit: AuditTrail;
  clock: Clock;
  mailer: Mailer;
  /** The in-memory view the authenticator reads (auth/view.ts), told when an account row changes. */
  authView: { refreshAccount(id: string): Promise<void> };
}

import type Stripe from "stripe";
import type { AuditTrail } from "../audit/audit";
import type { Config } from "../config/schema";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import type { WriterTx } from "../usage/writer";

/** What the billing services share once Stripe is configured. */
export interface BillingContext {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  log: Logger;
  audit: AuditTrail;
  stripe: Stripe;
}

/** A database or one of its transactions: billing writes join the caller's transaction. */
export type DbOrTx = Db | WriterTx;

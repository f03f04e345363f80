import type Stripe from "stripe";
import type { AuditTrail } from "../audit/audit";
import type { Config } from "../config/schema";
import type { Db } from "../db/client";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";

/** What the billing services share once Stripe is configured. */
export interface BillingContext {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  log: Logger;
  audit: AuditTrail;
  stripe: Stripe;
}

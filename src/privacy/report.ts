import type { Billing } from "../billing/billing";
import type { Config } from "../config/schema";
import type { Db } from "../db/client";
import { CLAUSES } from "./clauses";
import { listRequests } from "./rights";
import { iso, type Clock } from "../lib/clock";

/** What GET /privacy and the report say is in force, from the live configuration. */
export function privacySettings(deps: { config: Readonly<Config> }) {
  const { retention, policy, providers } = deps.config;
  return {
    retention: { ...retention },
    content_retention: "none" as const,
    zdr_enforcement:
      "Keys or accounts that require zero data retention or a region are only routed to providers declaring it; otherwise the request is refused.",
    providers: providers.map((p) => ({ id: p.id, zdr: p.zdr, region: p.region })),
    minimum_age: policy.minimum_age,
    rights_response: "one calendar month from receipt (GDPR Art. 12(3))",
  };
}

/**
 * `kriora privacy report`: clause by clause, the mechanism in force and the tests that prove it,
 * with the live settings and the state of the rights ledger.
 */
export async function conformanceReport(deps: {
  config: Readonly<Config>;
  db: Db;
  clock: Clock;
  billing: Pick<Billing, "mode">;
}) {
  const requests = await listRequests(deps);
  return {
    generated_at: iso(deps.clock.now()),
    policy: { version: deps.config.policy.version, material: deps.config.policy.material },
    settings: { ...privacySettings(deps), billing_mode: deps.billing.mode },
    rights_requests: {
      total: requests.length,
      open: requests.filter((r) => r.completed_at === null).length,
      overdue: requests.filter((r) => r.overdue).length,
    },
    clauses: CLAUSES,
  };
}

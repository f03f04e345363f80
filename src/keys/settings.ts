import { SCOPES, type Scope } from "./scopes";
import { KrioraError } from "../lib/errors";
import { MICROS_PER_USD } from "../lib/money";
import type { KeySettings } from "./apiKeys";

/** Region and model ids as configured: `eu`, `gpt-4o-mini`, `llama3:8b`, `meta/llama-3`. */
export const SETTING_ID = "^[A-Za-z0-9_.:/-]{1,128}$";
const settingId = new RegExp(SETTING_ID);

/** Key settings as a person gives them (CLI flags or the API body), before checking. */
export interface KeySettingsInput {
  name?: string;
  scopes?: readonly string[];
  expiresInMs?: number;
  rpm?: number;
  tpm?: number;
  requireZdr?: boolean;
  regions?: readonly string[];
  models?: readonly string[];
  /** USD; absent or 0: no cap of the key's own. */
  monthlyBudgetUsd?: number;
}

/** Far above any real budget, and small enough that its micro-dollars stay exact integers. */
export const MAX_BUDGET_USD = 1_000_000_000;

const invalid = (param: string, message: string) => new KrioraError("invalid_request", message, { param });

/** Check and complete key settings; a key gets the `model` scope alone unless told otherwise. */
export function keySettings(input: KeySettingsInput, nowMs: number): KeySettings {
  const name = (input.name ?? "").trim();
  if (name.length > 100) throw invalid("name", "The key name is longer than 100 characters.");
  const scopes = [...new Set(input.scopes ?? ["model"])];
  if (scopes.length === 0 || !scopes.every((s): s is Scope => (SCOPES as readonly string[]).includes(s)))
    throw invalid("scopes", `Scopes are one or more of: ${SCOPES.join(", ")}.`);
  for (const [param, n] of [
    ["rpm", input.rpm],
    ["tpm", input.tpm],
  ] as const)
    if (n !== undefined && (!Number.isInteger(n) || n < 1))
      throw invalid(param, `${param} must be a positive whole number.`);
  const budget = input.monthlyBudgetUsd;
  if (budget !== undefined && !(Number.isFinite(budget) && budget >= 0 && budget <= MAX_BUDGET_USD))
    throw invalid("monthly_budget_usd", `monthly_budget_usd must be a number of dollars from 0 to ${MAX_BUDGET_USD}.`);
  if (input.expiresInMs !== undefined && !(input.expiresInMs > 0))
    throw invalid("expires", "The expiry must be in the future.");
  return {
    name,
    scopes: scopes as Scope[],
    expiresAt: input.expiresInMs === undefined ? null : nowMs + input.expiresInMs,
    rpm: input.rpm ?? null,
    tpm: input.tpm ?? null,
    requireZdr: input.requireZdr ?? false,
    regions: idList("regions", input.regions),
    models: idList("models", input.models),
    monthlyBudgetMicros: budget ? Math.round(budget * MICROS_PER_USD) : null,
  };
}

export function idList(param: string, list: readonly string[] | undefined): string[] | null {
  if (list === undefined) return null;
  if (list.length > 256 || !list.every((x) => settingId.test(x)))
    throw invalid(param, `Each of ${param} must be an id of letters, digits and . _ : / -.`);
  return [...new Set(list)];
}

import type { Scope } from "./scopes";
import { KrioraError } from "../lib/errors";
import type { KeySettings } from "./apiKeys";

/** What a key may hand on: its own settings, with the scopes its account lets it use now. */
type ParentKey = Omit<KeySettings, "name" | "scopes"> & { scopes: ReadonlySet<Scope> };

/** A limit the child must keep: absent on the parent means free; present means the child sets one no higher. */
const withinLimit = (parent: number | null, child: number | null) =>
  parent === null || (child !== null && child <= parent);
/** A list of what is allowed: null is "any", so a listing parent needs a child list inside its own. */
const withinList = (parent: readonly string[] | null, child: readonly string[] | null) =>
  parent === null || child?.every((x) => parent.includes(x)) === true;

/**
 * The first dimension on which `child` would be looser than the key creating it, or null. A key
 * can never mint a key that escapes its own restrictions (issue #16 item 1); sessions are not
 * checked here, they act with the account's full rights.
 */
function looserDimension(parent: ParentKey, child: KeySettings): { param: string; message: string } | null {
  const scope = child.scopes.find((s) => !parent.scopes.has(s));
  if (scope) return { param: "scopes", message: `This key cannot grant the ${scope} scope.` };
  if (!withinLimit(parent.expiresAt, child.expiresAt))
    return {
      param: "expires_in_days",
      message: "This key expires; a key it creates must expire no later than it does.",
    };
  if (!withinLimit(parent.rpm, child.rpm))
    return {
      param: "rpm",
      message: `This key is limited to ${parent.rpm} requests per minute; a key it creates must set rpm no higher.`,
    };
  if (!withinLimit(parent.tpm, child.tpm))
    return {
      param: "tpm",
      message: `This key is limited to ${parent.tpm} tokens per minute; a key it creates must set tpm no higher.`,
    };
  if (parent.requireZdr && !child.requireZdr)
    return {
      param: "require_zdr",
      message: "This key requires zero data retention; a key it creates must require it too.",
    };
  if (!withinList(parent.regions, child.regions))
    return { param: "regions", message: "A key this key creates may only allow regions this key allows." };
  if (!withinList(parent.models, child.models))
    return { param: "models", message: "A key this key creates may only allow models this key allows." };
  if (!withinLimit(parent.monthlyBudgetMicros, child.monthlyBudgetMicros))
    return {
      param: "monthly_budget_usd",
      message: "This key has a monthly budget; a key it creates must set one no larger.",
    };
  return null;
}

/** Throws 403 naming the dimension when `child` would be looser than `parent`. */
export function assertDelegable(parent: ParentKey, child: KeySettings): void {
  const looser = looserDimension(parent, child);
  if (looser) throw new KrioraError("forbidden", looser.message, { param: looser.param });
}

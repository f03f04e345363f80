import type { Principal } from "../auth/principal";
import type { Config, DeploymentConfig, ModelConfig, ProviderConfig } from "../config/schema";
import { KrioraError } from "../lib/errors";
import type { EndpointSpec } from "./endpoints";
import { pathTo } from "./translations";
import { WIRES } from "./wires";

export interface Target {
  provider: ProviderConfig;
  /** The model name sent to the provider. */
  upstream: string;
  /** The environment variable holding this target's key: the deployment's own, else its provider's. */
  apiKeyEnv: string;
  /** Identifies the deployment for its cooldown: the same provider, upstream name and key share one health. */
  key: string;
}

type Policy = Principal["policy"];

/** Whether a provider can serve this endpoint, in the endpoint's own format or translated (translations.ts). */
export function canServe(endpoint: EndpointSpec, provider: ProviderConfig): boolean {
  return pathTo(endpoint, WIRES[provider.kind].format, provider.native_responses) !== null;
}

/**
 * Where env-only mode sends a model id with no `provider/` prefix: the first provider speaking the
 * endpoint's own format (`azure-openai` speaks OpenAI's), else the first one translation reaches.
 */
export function passThroughProvider(config: Readonly<Config>, endpoint: EndpointSpec): ProviderConfig | undefined {
  return (
    config.providers.find((p) => WIRES[p.kind].format === endpoint.kind) ??
    config.providers.find((p) => canServe(endpoint, p))
  );
}

/** The configured model called `name`, by its id or one of its aliases. */
export function findModel(config: Readonly<Config>, name: string): ModelConfig | undefined {
  return config.models.find((m) => m.id === name || m.aliases.includes(name));
}

/**
 * The targets a request for `modelId` may reach, in the order to try them: the model's
 * deployments in a weighted random order (the first is chosen by weight, the rest follow as
 * failover), then its fallbacks. With `[[models]]` configured, only those ids and aliases exist;
 * with none (env-only mode), any id is passed through to the first provider of the route's
 * format (else the first one translation reaches), or to provider P when written `P/model`.
 * Only targets that can serve the endpoint, as it is or translated, are kept. Retention policy is applied last and fails
 * closed: when no target satisfies it the request is refused with the policy named, never sent
 * elsewhere (Policy §3, §12).
 */
export function routeModel(
  config: Readonly<Config>,
  modelId: string,
  endpoint: EndpointSpec,
  policy: Policy,
  random: () => number = Math.random,
): Target[] {
  const model = findModel(config, modelId);
  if (policy.models && !policy.models.includes(modelId) && !(model && policy.models.includes(model.id)))
    throw new KrioraError("forbidden", "This key may not use the requested model.", { param: "model" });
  if (config.models.length > 0 && !model)
    throw new KrioraError("not_found", "The requested model is not offered by this gateway.", { param: "model" });
  const name = model ? `model "${model.id}"` : "the requested model";
  const targets = model ? modelTargets(config, model, random) : passThroughTargets(config, modelId, endpoint);
  const served = targets.filter((t) => canServe(endpoint, t.provider));
  if (served.length === 0) {
    throw targets.length > 0
      ? new KrioraError(
          "invalid_request",
          `${capitalised(name)} cannot be called through /v1${endpoint.path}: its provider's format has no translation for it.`,
          { param: "model" },
        )
      : new KrioraError("not_found", "No provider that can serve this endpoint is configured.", { param: "model" });
  }
  const allowed = served.filter((t) => satisfies(t.provider, policy));
  if (allowed.length === 0) throw new KrioraError("policy_violation", refusal(policy, name));
  return allowed;
}

/** A model's deployments; the `provider`/`upstream` form is one deployment. */
function deploymentsOf(model: ModelConfig): DeploymentConfig[] {
  return model.deployments.length > 0
    ? [...model.deployments]
    : [{ provider: model.provider, upstream: model.upstream, weight: 1, api_key_env: "" }];
}

/** Every target of a model with its deployments in their configured order (for listing, not routing). */
export function allTargets(config: Readonly<Config>, model: ModelConfig): Target[] {
  return modelTargets(config, model, null);
}

function modelTargets(config: Readonly<Config>, model: ModelConfig, random: (() => number) | null): Target[] {
  const deployments = deploymentsOf(model);
  const ordered = random ? weightedOrder(deployments, random) : deployments;
  const fallbacks = model.fallbacks.map((f) => ({ ...f, api_key_env: "" }));
  return [...ordered, ...fallbacks].map((d) => {
    const provider = config.providers.find((p) => p.id === d.provider)!;
    return target(provider, d.upstream || model.id, d.api_key_env);
  });
}

/** A weighted random permutation: each pick takes one of the remaining items with probability weight / remaining weight. */
function weightedOrder<T extends { weight: number }>(items: T[], random: () => number): T[] {
  const left = [...items];
  const out: T[] = [];
  while (left.length > 0) {
    let point = random() * left.reduce((sum, d) => sum + d.weight, 0);
    let i = 0;
    while (i < left.length - 1 && point >= left[i]!.weight) point -= left[i++]!.weight;
    out.push(left.splice(i, 1)[0]!);
  }
  return out;
}

function target(provider: ProviderConfig, upstream: string, ownKeyEnv: string): Target {
  const apiKeyEnv = ownKeyEnv || provider.api_key_env;
  return { provider, upstream, apiKeyEnv, key: `${provider.id}/${upstream}${ownKeyEnv ? `#${ownKeyEnv}` : ""}` };
}

function passThroughTargets(config: Readonly<Config>, modelId: string, endpoint: EndpointSpec): Target[] {
  const slash = modelId.indexOf("/");
  const named =
    slash > 0 ? config.providers.find((p) => p.id === modelId.slice(0, slash) && canServe(endpoint, p)) : undefined;
  if (named) return [target(named, modelId.slice(slash + 1), "")];
  const first = passThroughProvider(config, endpoint);
  return first ? [target(first, modelId, "")] : [];
}

export function satisfies(provider: ProviderConfig, policy: Policy): boolean {
  return (!policy.requireZdr || provider.zdr) && (!policy.regions || policy.regions.includes(provider.region));
}

function refusal(policy: Policy, name: string): string {
  const rules: string[] = [];
  if (policy.requireZdr) rules.push("zero data retention (zdr)");
  if (policy.regions) rules.push(`a provider region among: ${policy.regions.join(", ") || "none"}`);
  return `Your key or account requires ${rules.join(" and ")}; no provider for ${name} meets this, so the request was refused rather than sent elsewhere.`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

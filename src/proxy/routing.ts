import type { Principal } from "../auth/principal";
import type { Config, ModelConfig, ProviderConfig } from "../config/schema";
import { KrioraError } from "../lib/errors";
import type { EndpointSpec } from "./endpoints";
import { pathTo } from "./translations";
import { WIRES } from "./wires";

export interface Target {
  provider: ProviderConfig;
  /** The model name sent to the provider. */
  upstream: string;
}

type Policy = Principal["policy"];

/** Whether a provider can serve this endpoint, as it is or through translation. */
const serves = (endpoint: EndpointSpec) => (provider: ProviderConfig) => pathTo(endpoint, WIRES[provider.kind].format, provider.native_responses) !== null;

/**
 * The providers a request for `modelId` may reach, in priority order: those that can serve the
 * endpoint, in its own format or translated. With `[[models]]` configured, only those ids exist;
 * with none (env-only mode), any id is passed through to the first provider of the route's format
 * (else the first one translation reaches), or to provider P when written `P/model`. Retention
 * policy is applied last and fails closed: when no target satisfies it the request is refused
 * with the policy named, never sent elsewhere (Policy §3, §12).
 */
export function routeModel(config: Readonly<Config>, modelId: string, endpoint: EndpointSpec, policy: Policy): Target[] {
  if (policy.models && !policy.models.includes(modelId)) throw new KrioraError("forbidden", "This key may not use the requested model.", { param: "model" });
  const model = config.models.find((m) => m.id === modelId);
  if (config.models.length > 0 && !model) throw new KrioraError("not_found", "The requested model is not offered by this gateway.", { param: "model" });
  const name = model ? `model "${model.id}"` : "the requested model";
  const targets = model ? modelTargets(config, model) : passThroughTargets(config, modelId, endpoint);
  const served = targets.filter((t) => serves(endpoint)(t.provider));
  if (served.length === 0) {
    throw targets.length > 0
      ? new KrioraError("invalid_request", `${capitalised(name)} cannot be called through /v1${endpoint.path}: its provider's format has no translation for it.`, { param: "model" })
      : new KrioraError("not_found", "No provider that can serve this endpoint is configured.", { param: "model" });
  }
  const allowed = served.filter((t) => satisfies(t.provider, policy));
  if (allowed.length === 0) throw new KrioraError("policy_violation", refusal(policy, name));
  return allowed;
}

/** An entry of `GET /v1/models`: where the model may run for this caller and what those providers retain. */
export interface ListedModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** True only when every provider this caller may reach for the model declares zero data retention. */
  zdr: boolean;
  /** The region of the first provider this caller may reach. */
  region: string;
  providers: { id: string; zdr: boolean; region: string }[];
}

/** The configured models this caller may use, each with the providers its policy lets it reach. */
export function listModels(config: Readonly<Config>, policy: Policy): ListedModel[] {
  const listed: ListedModel[] = [];
  for (const model of config.models) {
    if (policy.models && !policy.models.includes(model.id)) continue;
    const reachable = modelTargets(config, model).filter((t) => satisfies(t.provider, policy));
    const first = reachable[0];
    if (!first) continue;
    const providers = reachable.map(({ provider: p }) => ({ id: p.id, zdr: p.zdr, region: p.region }));
    listed.push({ id: model.id, object: "model", created: 0, owned_by: first.provider.id, zdr: providers.every((p) => p.zdr), region: first.provider.region, providers });
  }
  return listed;
}

function modelTargets(config: Readonly<Config>, model: ModelConfig): Target[] {
  const byId = (id: string) => config.providers.find((p) => p.id === id)!;
  return [{ provider: model.provider, upstream: model.upstream }, ...model.fallbacks].map((t) => ({
    provider: byId(t.provider),
    upstream: t.upstream || model.id,
  }));
}

function passThroughTargets(config: Readonly<Config>, modelId: string, endpoint: EndpointSpec): Target[] {
  const slash = modelId.indexOf("/");
  const named = slash > 0 ? config.providers.find((p) => p.id === modelId.slice(0, slash) && serves(endpoint)(p)) : undefined;
  if (named) return [{ provider: named, upstream: modelId.slice(slash + 1) }];
  const first = config.providers.find((p) => p.kind === endpoint.kind) ?? config.providers.find(serves(endpoint));
  return first ? [{ provider: first, upstream: modelId }] : [];
}

function satisfies(provider: ProviderConfig, policy: Policy): boolean {
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

import type { Principal } from "../auth/principal";
import type { Config, ModelConfig, ProviderConfig } from "../config/schema";
import { ENDPOINTS, type WireKind } from "./endpoints";
import { allTargets, canServe, satisfies } from "./routing";

type Policy = Principal["policy"];

/** Each client format and the route that shows whether a model can be called with it. */
const CLIENT_FORMATS = [
  ["openai", ENDPOINTS.chat],
  ["anthropic", ENDPOINTS.messages],
] as const;

/** An entry of `GET /v1/models`: how the model may be called, where it may run for this caller, and what it costs. */
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
  aliases: string[];
  kind: ModelConfig["kind"];
  /** The client formats (routes) the model can be called with. */
  formats: WireKind[];
  context_length: number | null;
  pricing: { input_usd_per_mtok: number; output_usd_per_mtok: number; cached_input_usd_per_mtok: number } | null;
}

/** The configured models this caller may use, each with the providers its policy lets it reach. */
export function listConfiguredModels(config: Readonly<Config>, policy: Policy): ListedModel[] {
  const listed: ListedModel[] = [];
  for (const model of config.models) {
    if (policy.models && !policy.models.includes(model.id)) continue;
    const reachable = allTargets(config, model).filter((t) => satisfies(t.provider, policy));
    const first = reachable[0];
    if (!first) continue;
    const providers = reachable.map(({ provider: p }) => ({ id: p.id, zdr: p.zdr, region: p.region }));
    const { input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok } = model;
    const priced = input_usd_per_mtok > 0 || output_usd_per_mtok > 0 || cached_input_usd_per_mtok > 0;
    listed.push({
      ...entry(
        model.id,
        first.provider,
        model.kind,
        reachable.map((t) => t.provider),
      ),
      zdr: providers.every((p) => p.zdr),
      providers,
      aliases: [...model.aliases],
      context_length: model.context_length || null,
      pricing: priced ? { input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok } : null,
    });
  }
  return listed;
}

/** One model an upstream listed itself (env-only mode): its formats follow from its provider's kind. */
export function upstreamEntry(id: string, provider: ProviderConfig, contextLength: number | null): ListedModel {
  // Upstream lists do not say which models embed; their names do, by convention.
  const kind = /embed/i.test(id) ? "embedding" : "chat";
  return {
    ...entry(id, provider, kind, [provider]),
    zdr: provider.zdr,
    providers: [{ id: provider.id, zdr: provider.zdr, region: provider.region }],
    aliases: [],
    context_length: contextLength,
    pricing: null,
  };
}

function entry(id: string, first: ProviderConfig, kind: ModelConfig["kind"], providers: ProviderConfig[]) {
  const callable = kind === "chat" ? CLIENT_FORMATS : ([["openai", ENDPOINTS.embeddings]] as const);
  const formats: WireKind[] = callable
    .filter(([, endpoint]) => providers.some((p) => canServe(endpoint, p)))
    .map(([format]) => format);
  return { id, object: "model" as const, created: 0, owned_by: first.id, region: first.region, kind, formats };
}

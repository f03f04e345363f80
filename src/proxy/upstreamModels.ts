import type { Principal } from "../auth/principal";
import type { Config, ProviderConfig } from "../config/schema";
import type { Clock } from "../lib/clock";
import type { Logger } from "../lib/log";
import { upstreamEntry, type ListedModel } from "./catalog";
import { ENDPOINTS } from "./endpoints";
import { passThroughProvider, satisfies } from "./routing";
import { asRecord } from "../lib/json";
import { WIRES } from "./wires";

const LIST_TIMEOUT_MS = 10_000;
/** At most this many models are taken from one provider's list. */
const MAX_LISTED = 5_000;
const MODEL_ID = /^[\w.:/@+-]{1,256}$/;

/**
 * Env-only mode's `GET /v1/models`: each provider's own `/models` list, fetched on first use and
 * again when older than `routing.models_refresh_s`, the cached list answering meanwhile and when a
 * provider cannot be reached. A model of a provider that is not the first of its format is listed
 * as `provider/model`, the name that routes to it; one no client format can call is left out.
 */
export function createUpstreamCatalog(config: Readonly<Config>, clock: Clock, log: Logger) {
  const cached = new Map<string, ListedModel[]>();
  const refreshMs = config.routing.models_refresh_s * 1000;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    fetchedAt = clock.now();
    await Promise.all(
      config.providers.map(async (p) => {
        const listed = await fetchList(p, log);
        if (listed) cached.set(p.id, listed);
      }),
    );
  }

  return {
    async list(policy: Principal["policy"]): Promise<ListedModel[]> {
      if (clock.now() - fetchedAt >= refreshMs) await (pending ??= refresh().finally(() => (pending = null)));
      return config.providers
        .filter((p) => satisfies(p, policy))
        .flatMap((p) => cached.get(p.id) ?? [])
        .filter((m) => !policy.models || policy.models.includes(m.id));
    },
  };

  async function fetchList(provider: ProviderConfig, log: Logger): Promise<ListedModel[] | null> {
    const endpoint = WIRES[provider.kind].format === "anthropic" ? ENDPOINTS.messages : ENDPOINTS.chat;
    const first = passThroughProvider(config, endpoint) === provider;
    const url = new URL(`${provider.base_url.replace(/\/+$/, "")}/models`);
    if (provider.kind === "anthropic") url.searchParams.set("limit", "1000");
    const key = provider.api_key_env ? (process.env[provider.api_key_env] ?? "") : "";
    try {
      const res = await fetch(url, {
        headers: WIRES[provider.kind].headers(key, new Headers()),
        redirect: "manual",
        signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
      });
      if (!res.ok) {
        await res.body?.cancel();
        log.warn("upstream_models_failed", { provider: provider.id, status: res.status });
        return null;
      }
      const data = asRecord(await res.json())?.data;
      if (!Array.isArray(data)) return null;
      return data.slice(0, MAX_LISTED).flatMap((item) => {
        const { id, context_length } = asRecord(item) ?? {};
        if (typeof id !== "string" || !MODEL_ID.test(id)) return [];
        const context =
          typeof context_length === "number" && Number.isSafeInteger(context_length) && context_length > 0
            ? context_length
            : null;
        const entry = upstreamEntry(first ? id : `${provider.id}/${id}`, provider, context);
        return entry.formats.length > 0 ? [entry] : [];
      });
    } catch {
      log.warn("upstream_models_failed", { provider: provider.id, status: null });
      return null;
    }
  }
}

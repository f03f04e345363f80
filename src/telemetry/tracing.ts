import type { Config } from "../config/schema";
import { errorKind, type Logger } from "../lib/log";
import { priceList, costMicros } from "../usage/cost";
import type { UsageEvent } from "../usage/sink";
import type { SpanExport } from "./otlp";
import { InsertionOrderedMap } from "../lib/insertionOrderedMap";

/** What the request log knows of a finished request. */
interface FinishedRequest {
  id: string | null;
  method: string;
  route: string;
  status: number;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  /** Time until the response's headers (a stream's first byte); the duration when not streamed. */
  ttfbMs: number;
}

/**
 * One span per request, exported over OTLP/HTTP when `telemetry.otlp_traces_url` is set. A
 * span carries the route, status, model id, provider, token counts, cost and time to first
 * byte: never content, an email, an address, an account or key id, or key material.
 */
export interface Tracing {
  /** The usage record of a model request, joined to its span by request id. */
  usage(event: UsageEvent): void;
  request(finished: FinishedRequest): void;
  shutdown(): Promise<void>;
}

export const noTracing: Tracing = { usage() {}, request() {}, shutdown: async () => {} };

/** Usage records waiting for their request's end; more than this means requests that never end. */
const MAX_PENDING = 10_000;

export function createTracing(config: Readonly<Config>, version: string, log: Logger): Tracing {
  const { otlp_traces_url: url, service_name } = config.telemetry;
  if (!url) return noTracing;
  const exporter: Promise<SpanExport | null> = import("./otlp")
    .then((m) => m.startOtlp(url, service_name, version))
    .catch((err: unknown) => {
      log.error("tracing_unavailable", { kind: errorKind(err) });
      return null;
    });
  const pricesFor = priceList(config.models);
  const pending = new InsertionOrderedMap<string, UsageEvent>();

  return {
    usage(event) {
      if (pending.size >= MAX_PENDING) pending.deleteOldest();
      pending.set(event.requestId, event);
    },
    request(r) {
      const usage = r.id ? pending.get(r.id) : undefined;
      if (r.id) pending.delete(r.id);
      const attributes: Record<string, string | number | boolean> = {
        "http.request.method": r.method,
        "http.route": r.route,
        "http.response.status_code": r.status,
        "kriora.ttfb_ms": r.ttfbMs,
      };
      if (r.id) attributes["kriora.request_id"] = r.id;
      if (usage) {
        const prices = pricesFor(usage.model);
        Object.assign(attributes, {
          "gen_ai.request.model": usage.model,
          "gen_ai.provider.name": usage.provider ?? "none",
          "gen_ai.usage.input_tokens": usage.inputTokens,
          "gen_ai.usage.output_tokens": usage.outputTokens,
          "kriora.usage.cached_input_tokens": usage.cachedInputTokens,
          "kriora.usage.estimated": usage.estimated,
          "kriora.cost_usd": prices ? costMicros(usage, prices) / 1_000_000 : 0,
          "kriora.outcome": usage.outcome,
          "kriora.stream": usage.stream,
        });
      }
      void exporter.then((e) =>
        e?.span(`${r.method} ${r.route}`, attributes, r.startedAt, r.startedAt + r.durationMs, r.status >= 500),
      );
    },
    async shutdown() {
      await (await exporter)?.shutdown();
    },
  };
}

import type { Principal } from "../auth/principal";
import type { Deps } from "../deps";
import { KrioraError } from "../lib/errors";
import { createAdmission, requestedOutputTokens, type Admitted } from "../limits/admission";
import type { UsageEvent } from "../usage/sink";
import { createConnectCheck } from "./connect";
import type { EndpointSpec } from "./endpoints";
import type { Failure } from "./failure";
import { jsonInspector, meterJson, sseInspector } from "./inspect";
import { countTokens } from "./countTokens";
import { startMeter, type Meter } from "./meter";
import { relayBody } from "./relayBody";
import { respondTranslated } from "./respondTranslated";
import { routeModel, type Target } from "./routing";
import { pathTo } from "./translations";
import type { Leg } from "./translate/types";
import { callUpstream, type Committed } from "./upstream";
import type { WireFormat } from "./wire";
import { WIRES } from "./wires";

export interface ProxyCall {
  request: Request;
  principal: Principal;
  endpoint: EndpointSpec;
  /** The client's JSON body, `model` validated; every other field is forwarded as it came. */
  body: Record<string, unknown> & { model: string };
  requestId: string;
  /** The caller's address, for metering only (stored encrypted, erased after `retention.ip_days`). */
  clientIp: string | null;
  /** The HTTP server, to lift its idle timeout for this request; null in-process (tests). */
  server: { timeout(request: Request, seconds: number): void } | null;
}

export interface Proxy {
  relay(call: ProxyCall): Promise<Response>;
  /** `POST /v1/messages/count_tokens` (see countTokens.ts). */
  countTokens(call: ProxyCall): Promise<Response>;
}

/** `max_tokens` for a provider that requires one, when neither the request nor the model's config gives it. */
const MAX_TOKENS_DEFAULT = 4096;
const decoder = new TextDecoder();

/**
 * The model proxy: route, try each target until one answers (failover only before the first
 * byte reaches the client), relay its answer as it streams (translated when the target speaks
 * another wire format than the route the client called), meter it.
 */
export function createProxy(deps: Deps): Proxy {
  const { config, log } = deps;
  const connect = createConnectCheck(process.env);
  const keys = new Map(config.providers.map((p) => [p.id, p.api_key_env ? (process.env[p.api_key_env] ?? "") : ""]));
  for (const p of config.providers) if (p.api_key_env && !keys.get(p.id)) log.warn("provider_key_missing", { provider: p.id, env: p.api_key_env });
  const bases = new Map(config.providers.map((p) => [p.id, p.base_url.replace(/\/+$/, "")]));
  const admit = createAdmission(deps);
  const counting = { config, admit, connect, base: (id: string) => bases.get(id)!, key: (id: string) => keys.get(id) ?? "" };

  return {
    countTokens: (call) => countTokens(counting, call),
    async relay(call) {
      const { endpoint, request, requestId } = call;
      // The request's one usage record also ends its admission: tokens settled, slot freed.
      let admitted: Admitted | undefined;
      const sink = { record: (e: UsageEvent) => (admitted?.finish(e.inputTokens + e.outputTokens), deps.usage.record(e)) };
      const meter = startMeter(sink, call, deps.clock);
      let targets: Target[];
      try {
        targets = routeModel(config, call.body.model, endpoint, call.principal.policy);
        admitted = await admit({
          principal: call.principal,
          clientIp: call.clientIp,
          bodyBytes: Number(request.headers.get("content-length") ?? 0),
          maxOutputTokens: requestedOutputTokens(call.body),
        });
      } catch (err) {
        if (err instanceof KrioraError) meter.refused(err);
        throw err;
      }
      // The provider's deadlines bound this request instead of the server's idle timeout, so a
      // model that thinks for minutes before its first token is not cut off by accident.
      call.server?.timeout(request, 0);
      const maxTokensDefault = config.models.find((m) => m.id === call.body.model)?.max_tokens_default ?? MAX_TOKENS_DEFAULT;
      let last: { provider: string; failure: Failure; chars: number } | undefined;
      for (const { provider, upstream } of targets) {
        const wire = WIRES[provider.kind];
        const path = pathTo(endpoint, wire.format, provider.native_responses)!;
        let leg: Leg | null = null;
        try {
          leg = path.translate?.(call.body, { upstreamModel: upstream, clientModel: call.body.model, maxTokensDefault, now: Math.floor(deps.clock.now() / 1000) }) ?? null;
        } catch (err) {
          if (err instanceof KrioraError) meter.refused(err);
          throw err;
        }
        const { text, dropUsage } = wire.body(path.upstream, leg?.body ?? call.body, upstream);
        const attempt = await callUpstream({
          provider,
          url: wire.url(bases.get(provider.id)!, path.upstream, upstream, call.body.stream === true),
          headers: { "content-type": "application/json", "accept-encoding": "identity", ...wire.headers(keys.get(provider.id) ?? "", request.headers) },
          body: text,
          client: request.signal,
          connect,
        });
        if (attempt.ok && leg)
          return respondTranslated({ call, attempt, path, leg, provider: { id: provider.id, wire }, requestChars: text.length, meter, headers: admitted.headers });
        if (attempt.ok) return respond(call, attempt, wire, dropUsage, text.length, provider.id, meter, admitted.headers);
        last = { provider: provider.id, failure: attempt.failure, chars: text.length };
        log.warn("upstream_failed", { id: requestId, provider: provider.id, status: attempt.failure.upstreamStatus, type: attempt.failure.upstreamType, outcome: attempt.failure.outcome });
        if (!attempt.failure.retry) break;
      }
      meter.failed(last!.provider, last!.failure, last!.chars);
      Object.assign(last!.failure.error.headers, admitted.headers);
      throw last!.failure.error;
    },
  };

  function respond(
    call: ProxyCall,
    attempt: Committed,
    wire: WireFormat,
    dropUsage: boolean,
    requestChars: number,
    provider: string,
    meter: Meter,
    limitHeaders: Record<string, string>,
  ): Response {
    const { status, headers } = attempt.response;
    const contentType = headers.get("content-type") ?? "application/json";
    // Only the content type is relayed: never the provider's cookies, rate limits, ids or encodings.
    if (attempt.whole) {
      attempt.deadlines.done();
      meter.finished(provider, status, meterJson(decoder.decode(attempt.whole), attempt.whole.length, wire.usage, requestChars), { outcome: "ok", failure: null });
      return new Response(attempt.whole, { status, headers: { ...limitHeaders, "content-type": contentType } });
    }
    const sse = contentType.includes("text/event-stream");
    const inspector = sse ? sseInspector(wire.watch(call.endpoint, call.requestId, dropUsage)) : jsonInspector(wire.usage);
    const body = relayBody(attempt.reader, attempt.first, attempt.deadlines, inspector, (end) => {
      if (end.failure && end.outcome !== "client_abort") log.warn("upstream_stream_failed", { id: call.requestId, provider, outcome: end.outcome });
      meter.finished(provider, status, inspector.result(requestChars), end);
    });
    return new Response(body, { status, headers: sse ? { ...limitHeaders, "content-type": contentType, "x-accel-buffering": "no" } : { ...limitHeaders, "content-type": contentType } });
  }
}

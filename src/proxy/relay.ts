import type { Principal } from "../auth/principal";
import type { Deps } from "../deps";
import { KrioraError } from "../lib/errors";
import { formatUsd } from "../lib/money";
import { createAdmission, requestedOutputTokens, type Admitted } from "../limits/admission";
import { priceList } from "../usage/cost";
import type { UsageEvent } from "../usage/sink";
import { runAttempts, systemTiming } from "./attempts";
import { createConnectCheck } from "./connect";
import { createCooldowns } from "./cooldown";
import { costStamp, requestCost } from "./cost";
import type { EndpointSpec } from "./endpoints";
import { providerKeys } from "./keys";
import { jsonInspector, meterJson, sseInspector } from "./inspect";
import { convertErrorHeaders, rateHeadersFor } from "./rateHeaders";
import { startMeter, type Meter } from "./meter";
import { relayBody } from "./relayBody";
import { routeModel, type Target } from "./routing";
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
  /** Told when the answer is relayed as a stream, with a promise of the stream's end. */
  streamed?: (ended: Promise<void>) => void;
}

export interface Proxy {
  relay(call: ProxyCall): Promise<Response>;
}

const decoder = new TextDecoder();

/**
 * The model proxy: route, try the targets until one answers (failover and retries only before
 * the first byte reaches the client, skipping deployments that are cooling down), relay its
 * answer as it streams, meter it.
 */
export function createProxy(deps: Deps): Proxy {
  const { config, log } = deps;
  const connect = createConnectCheck(process.env);
  const keys = providerKeys(config, log);
  const bases = new Map(config.providers.map((p) => [p.id, p.base_url.replace(/\/+$/, "")]));
  const admit = createAdmission(deps);
  const pricesFor = priceList(config.models);
  const cooldowns = createCooldowns(config.routing, deps.clock);
  const timing = deps.retryTiming ?? systemTiming;
  const random = () => timing.random();

  return {
    async relay(call) {
      const { endpoint, request, requestId } = call;
      // The request's one usage record also ends its admission: tokens settled, slot freed.
      let admitted: Admitted | undefined;
      const sink = { record: (e: UsageEvent) => (admitted?.finish(e.inputTokens + e.outputTokens), deps.usage.record(e)) };
      const meter = startMeter(sink, call, deps.clock);
      let targets: Target[];
      try {
        targets = routeModel(config, call.body.model, endpoint, call.principal.policy, random);
        admitted = await admit({
          principal: call.principal,
          clientIp: call.clientIp,
          bodyBytes: Number(request.headers.get("content-length") ?? 0),
          maxOutputTokens: requestedOutputTokens(call.body),
        });
      } catch (err) {
        if (err instanceof KrioraError) {
          meter.refused(err);
          convertErrorHeaders(endpoint.kind, err.headers, deps.clock.now());
        }
        throw err;
      }
      const limitHeaders = rateHeadersFor(endpoint.kind, admitted.headers, deps.clock.now());
      // The provider's deadlines bound this request instead of the server's idle timeout, so a
      // model that thinks for minutes before its first token is not cut off by accident.
      call.server?.timeout(request, 0);
      const sent = new Map<Target, { text: string; dropUsage: boolean }>();
      const result = await runAttempts({
        targets,
        routing: config.routing,
        cooldowns,
        timing,
        client: request.signal,
        attempt(target) {
          const wire = WIRES[target.provider.kind];
          const body = wire.body(endpoint, call.body, target.upstream);
          sent.set(target, body);
          return callUpstream({
            provider: target.provider,
            url: wire.url(bases.get(target.provider.id)!, endpoint, target.upstream, call.body.stream === true, target.provider),
            headers: { "content-type": "application/json", "accept-encoding": "identity", ...wire.headers(keys.get(target.apiKeyEnv) ?? "", request.headers) },
            body: body.text,
            client: request.signal,
            shutdown: deps.shutdown.signal,
            connect,
          });
        },
        failed(target, failure) {
          log.warn("upstream_failed", { id: requestId, provider: target.provider.id, status: failure.upstreamStatus, type: failure.upstreamType, outcome: failure.outcome });
        },
      });
      if (result.ok) {
        const { text, dropUsage } = sent.get(result.target)!;
        return respond(call, result.committed, WIRES[result.target.provider.kind], dropUsage, text.length, result.target.provider.id, meter, limitHeaders);
      }
      const { target, failure } = result;
      if (target) meter.failed(target.provider.id, failure, sent.get(target)!.text.length);
      else meter.refused(failure.error);
      Object.assign(failure.error.headers, limitHeaders);
      throw failure.error;
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
      const metered = meterJson(decoder.decode(attempt.whole), attempt.whole.length, wire.usage, requestChars);
      meter.finished(provider, status, metered, { outcome: "ok", failure: null });
      const cost = formatUsd(requestCost(metered.counts, pricesFor(call.body.model)));
      return new Response(attempt.whole, { status, headers: { ...limitHeaders, "content-type": contentType, "x-kriora-cost-usd": cost } });
    }
    const sse = contentType.includes("text/event-stream");
    const inspector = sse ? sseInspector(wire.watch(call.endpoint, call.requestId, dropUsage), costStamp(pricesFor(call.body.model))) : jsonInspector(wire.usage);
    const ended = Promise.withResolvers<void>();
    call.streamed?.(ended.promise);
    const body = relayBody(attempt.reader, attempt.first, attempt.deadlines, inspector, (end) => {
      if (end.failure && end.outcome !== "client_abort") log.warn("upstream_stream_failed", { id: call.requestId, provider, outcome: end.outcome });
      meter.finished(provider, status, inspector.result(requestChars), end);
      ended.resolve();
    });
    return new Response(body, { status, headers: sse ? { ...limitHeaders, "content-type": contentType, "x-accel-buffering": "no" } : { ...limitHeaders, "content-type": contentType } });
  }
}

import { KrioraError } from "../lib/errors";
import type { Logger } from "../lib/log";
import type { Shutdown } from "../lib/shutdown";
import { formatUsd } from "../lib/money";
import { createAdmission, requestedOutputTokens, type Admitted } from "../limits/admission";
import { priceList } from "../usage/cost";
import type { UsageEvent, UsageSink } from "../usage/sink";
import { runAttempts, systemTiming, type RetryTiming } from "./attempts";
import { createConnectCheck } from "./connect";
import { createCooldowns } from "./cooldown";
import { costStamp, requestCost } from "./cost";
import { countTokens } from "./countTokens";
import type { ProxyCall } from "./call";
import { providerKeys } from "./keys";
import { jsonInspector, meterJson, sseInspector } from "./inspect";
import { convertErrorHeaders, rateHeadersFor } from "./rateHeaders";
import { startUsageEvent, type UsageRecorder } from "./usageEvent";
import { relayBody } from "./relayBody";
import { respondTranslated } from "./respondTranslated";
import { findModel, routeModel, type Target } from "./routing";
import { pathTo, type Path } from "./translations";
import type { Leg } from "./translate/types";
import { callUpstream, type Committed } from "./upstream";
import type { WireFormat } from "./wire";
import { WIRES } from "./wires";

interface Proxy {
  relay(call: ProxyCall): Promise<Response>;
  /** `POST /v1/messages/count_tokens` (see countTokens.ts). */
  countTokens(call: ProxyCall): Promise<Response>;
}

/** How one target is called: its wire format, the path from the client's endpoint, the translation (if any) and the body. */
interface Plan {
  wire: WireFormat;
  path: Path;
  leg: Leg | null;
  text: string;
  dropUsage: boolean;
}

/** `max_tokens` for a provider that requires one, when neither the request nor the model's config gives it. */
const MAX_TOKENS_DEFAULT = 4096;
const decoder = new TextDecoder();

/** What the proxy uses (the wiring's `Deps` has all of it): the admission controls and its own parts. */
type ProxyDeps = Parameters<typeof createAdmission>[0] & {
  log: Logger;
  shutdown: Shutdown;
  usage: UsageSink;
  /** Randomness and waits of routing and retries; real ones when absent (tests swap them). */
  retryTiming?: RetryTiming;
};

/**
 * The model proxy: route, try the targets until one answers (failover and retries only before
 * the first byte reaches the client, skipping deployments that are cooling down), relay its
 * answer as it streams (translated when the target speaks another wire format than the route the
 * client called), record its usage event.
 */
export function createProxy(deps: ProxyDeps): Proxy {
  const { config, log } = deps;
  const connect = createConnectCheck(process.env);
  const keys = providerKeys(config, log);
  const bases = new Map(config.providers.map((p) => [p.id, p.base_url.replace(/\/+$/, "")]));
  const admit = createAdmission(deps);
  const pricesFor = priceList(config.models);
  const cooldowns = createCooldowns(config.routing, deps.clock);
  const timing = deps.retryTiming ?? systemTiming;
  const random = () => timing.random();
  const counting = {
    config,
    admit,
    connect,
    shutdown: deps.shutdown.signal,
    base: (id: string) => bases.get(id)!,
    key: (env: string) => keys.get(env) ?? "",
  };

  /** The request as `target` takes it; throws a 400 naming the field when it cannot be translated for it. */
  function plan(call: ProxyCall, target: Target, maxTokensDefault: number): Plan {
    const wire = WIRES[target.provider.kind];
    const path = pathTo(call.endpoint, wire.format, target.provider.native_responses)!;
    const options = {
      upstreamModel: target.upstream,
      clientModel: call.body.model,
      maxTokensDefault,
      now: Math.floor(deps.clock.now() / 1000),
    };
    const leg = path.translate?.(call.body, options) ?? null;
    return { wire, path, leg, ...wire.body(path.upstream, leg?.body ?? call.body, target.upstream) };
  }

  /**
   * Every target's plan. A target the request cannot be translated for is left out; when that is
   * every target, the first one's refusal (naming the field) is the answer.
   */
  function planAll(call: ProxyCall, targets: Target[], maxTokensDefault: number): Map<Target, Plan> {
    const plans = new Map<Target, Plan>();
    let refusal: unknown = null;
    for (const target of targets) {
      try {
        plans.set(target, plan(call, target, maxTokensDefault));
      } catch (err) {
        if (!(err instanceof KrioraError)) throw err;
        refusal ??= err;
      }
    }
    if (plans.size === 0) throw refusal;
    return plans;
  }

  return {
    countTokens: (call) => countTokens(counting, call),
    async relay(call) {
      const { endpoint, request, requestId } = call;
      // The request's one usage record also ends its admission: tokens settled, slot freed.
      let admitted: Admitted | undefined;
      const sink = {
        // Recorded first: its spend goes out before the prepaid hold is dropped.
        record(e: UsageEvent) {
          try {
            deps.usage.record(e);
          } finally {
            admitted?.finish(e);
          }
        },
      };
      const recorder = startUsageEvent(sink, call, deps.clock);
      let targets: Target[];
      let plans: Map<Target, Plan>;
      try {
        targets = routeModel(config, call.body.model, endpoint, call.principal.policy, random);
        // The model's output cap: what translations send when the client set none, and what admission holds.
        const maxTokensDefault = findModel(config, call.body.model)?.max_tokens_default ?? MAX_TOKENS_DEFAULT;
        plans = planAll(call, targets, maxTokensDefault);
        admitted = await admit({
          requestId,
          model: call.body.model,
          principal: call.principal,
          clientIp: call.clientIp,
          bodyBytes: Number(request.headers.get("content-length") ?? 0),
          maxOutputTokens: requestedOutputTokens(call.body) || maxTokensDefault,
        });
      } catch (err) {
        if (err instanceof KrioraError) {
          recorder.refused(err);
          convertErrorHeaders(endpoint.kind, err.headers, deps.clock.now());
        }
        throw err;
      }
      const limitHeaders = rateHeadersFor(endpoint.kind, admitted.headers, deps.clock.now());
      // The provider's deadlines bound this request instead of the server's idle timeout, so a
      // model that thinks for minutes before its first token is not cut off by accident.
      call.server?.timeout(request, 0);
      const result = await runAttempts({
        targets: targets.filter((t) => plans.has(t)),
        routing: config.routing,
        cooldowns,
        timing,
        client: request.signal,
        attempt(target) {
          const { wire, path, text } = plans.get(target)!;
          return callUpstream({
            provider: target.provider,
            url: wire.url(
              bases.get(target.provider.id)!,
              path.upstream,
              target.upstream,
              call.body.stream === true,
              target.provider,
            ),
            headers: {
              "content-type": "application/json",
              "accept-encoding": "identity",
              ...wire.headers(keys.get(target.apiKeyEnv) ?? "", request.headers),
            },
            body: text,
            client: request.signal,
            shutdown: deps.shutdown.signal,
            connect,
          });
        },
        failed(target, failure) {
          log.warn("upstream_failed", {
            id: requestId,
            provider: target.provider.id,
            status: failure.upstreamStatus,
            type: failure.upstreamType,
            outcome: failure.outcome,
          });
        },
      });
      if (result.ok) {
        const { wire, path, leg, text, dropUsage } = plans.get(result.target)!;
        const provider = result.target.provider.id;
        if (leg)
          return respondTranslated({
            call,
            attempt: result.committed,
            path,
            leg,
            provider: { id: provider, wire },
            requestChars: text.length,
            recorder,
            headers: limitHeaders,
            prices: pricesFor(call.body.model),
            log,
          });
        return respond(call, result.committed, wire, dropUsage, text.length, provider, recorder, limitHeaders);
      }
      const { target, failure } = result;
      if (target) recorder.failed(target.provider.id, failure, plans.get(target)!.text.length);
      else recorder.refused(failure.error);
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
    recorder: UsageRecorder,
    limitHeaders: Record<string, string>,
  ): Response {
    const { status, headers } = attempt.response;
    const contentType = headers.get("content-type") ?? "application/json";
    // Only the content type is relayed: never the provider's cookies, rate limits, ids or encodings.
    if (attempt.whole) {
      attempt.deadlines.done();
      const metered = meterJson(decoder.decode(attempt.whole), attempt.whole.length, wire.usage, requestChars);
      recorder.finished(provider, status, metered, { outcome: "ok", failure: null });
      const cost = formatUsd(requestCost(metered.counts, pricesFor(call.body.model)));
      return new Response(attempt.whole, {
        status,
        headers: { ...limitHeaders, "content-type": contentType, "x-kriora-cost-usd": cost },
      });
    }
    const sse = contentType.includes("text/event-stream");
    const inspector = sse
      ? sseInspector(wire.watch(call.endpoint, call.requestId, dropUsage), costStamp(pricesFor(call.body.model)))
      : jsonInspector(wire.usage);
    const ended = Promise.withResolvers<void>();
    call.streamed?.(ended.promise);
    const body = relayBody(attempt.reader, attempt.first, attempt.deadlines, inspector, (end) => {
      if (end.failure && end.outcome !== "client_abort")
        log.warn("upstream_stream_failed", { id: call.requestId, provider, outcome: end.outcome });
      recorder.finished(provider, status, inspector.result(requestChars), end);
      ended.resolve();
    });
    return new Response(body, {
      status,
      headers: sse
        ? { ...limitHeaders, "content-type": contentType, "x-accel-buffering": "no" }
        : { ...limitHeaders, "content-type": contentType },
    });
  }
}

import type { Admission } from "../limits/admission";
import type { ConnectCheck } from "./connect";
import { ENDPOINTS } from "./endpoints";
import { anthropicWire } from "./providers/anthropic";
import { readWhole } from "./readWhole";
import type { ProxyCall } from "./call";
import { routeModel } from "./routing";
import { estimateTokens } from "./tokens";
import { callUpstream, thrownFailure } from "./upstream";
import type { Config } from "../config/schema";
import { WIRES } from "./wires";

/** A token count is a few bytes of JSON. */
const MAX_COUNT_BYTES = 64 * 1024;

interface CountContext {
  config: Readonly<Config>;
  admit: Admission;
  connect: ConnectCheck;
  /** Aborted when the server's shutdown grace runs out. */
  shutdown: AbortSignal;
  base(providerId: string): string;
  /** The key held in the environment variable of this name. */
  key(env: string): string;
}

/**
 * `POST /v1/messages/count_tokens`: where the model's first target is an Anthropic provider, the
 * question is forwarded to it and its answer relayed; for any other provider the count is the
 * gateway's estimate (one token per four characters of the prompt, system and tools), marked
 * `"estimated": true` and `x-kriora-estimate: true`. Nothing is generated, so nothing is metered;
 * the call still passes admission (rate limits) like any model call.
 */
export async function countTokens(ctx: CountContext, call: ProxyCall): Promise<Response> {
  const [target] = routeModel(ctx.config, call.body.model, ENDPOINTS.messages, call.principal.policy);
  const admitted = await ctx.admit({
    requestId: call.requestId,
    model: call.body.model,
    principal: call.principal,
    clientIp: call.clientIp,
    bodyBytes: Number(call.request.headers.get("content-length") ?? 0),
    maxOutputTokens: 0,
  });
  try {
    if (WIRES[target!.provider.kind].format !== "anthropic") {
      const { system, messages, tools } = call.body;
      const input_tokens = estimateTokens(JSON.stringify({ system, messages, tools }).length);
      return Response.json(
        { input_tokens, estimated: true },
        { headers: { ...admitted.headers, "x-kriora-estimate": "true" } },
      );
    }
    const { provider, upstream, apiKeyEnv } = target!;
    const attempt = await callUpstream({
      provider,
      url: new URL(`${ctx.base(provider.id)}/messages/count_tokens`),
      headers: {
        "content-type": "application/json",
        "accept-encoding": "identity",
        ...anthropicWire.headers(ctx.key(apiKeyEnv), call.request.headers),
      },
      body: JSON.stringify({ ...call.body, model: upstream }),
      client: call.request.signal,
      connect: ctx.connect,
      shutdown: ctx.shutdown,
    });
    if (!attempt.ok) {
      Object.assign(attempt.failure.error.headers, admitted.headers);
      throw attempt.failure.error;
    }
    let body: Uint8Array;
    try {
      body = attempt.whole ?? (await readWhole(attempt.reader, attempt.first, attempt.deadlines, MAX_COUNT_BYTES));
    } catch {
      attempt.reader.cancel().catch(() => {});
      throw thrownFailure(attempt.deadlines, true).error;
    } finally {
      attempt.deadlines.done();
    }
    return new Response(body, {
      status: attempt.response.status,
      headers: { ...admitted.headers, "content-type": "application/json" },
    });
  } finally {
    admitted.finish(null);
  }
}

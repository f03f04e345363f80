import type { Server } from "bun";
import { Elysia, t } from "elysia";
import type { Deps } from "../../deps";
import { KrioraError } from "../../lib/errors";
import { ENDPOINTS, type EndpointSpec } from "../../proxy/endpoints";
import type { ProxyCall } from "../../proxy/call";
import { createProxy } from "../../proxy/relay";
import { listConfiguredModels } from "../../proxy/catalog";
import { createUpstreamCatalog } from "../../proxy/upstreamModels";
import { clientIp } from "../clientIp";
import { markStream } from "../streamEnd";

/**
 * Only the fields the gateway reads are checked; every other field goes to the provider as it
 * came, so new provider features work without a gateway release.
 */
const ModelRequest = t.Object(
  {
    model: t.String({
      pattern: "^[\\w.:/@+-]{1,256}$",
      description:
        "A model id from GET /v1/models (in env-only mode any upstream model name, optionally as `provider/model`)",
    }),
    stream: t.Optional(t.Boolean({ description: "Server-sent events, relayed as the provider sends them" })),
  },
  { additionalProperties: true },
);

const Prices = t.Object({
  input_usd_per_mtok: t.Number(),
  output_usd_per_mtok: t.Number(),
  cached_input_usd_per_mtok: t.Number(),
});

const ModelList = t.Object({
  object: t.Literal("list"),
  data: t.Array(
    t.Object({
      id: t.String(),
      object: t.Literal("model"),
      created: t.Integer(),
      owned_by: t.String(),
      zdr: t.Boolean({ description: "Every provider this key may reach for the model declares zero data retention" }),
      region: t.String({ description: "Region of the first provider this key may reach" }),
      providers: t.Array(t.Object({ id: t.String(), zdr: t.Boolean(), region: t.String() }), {
        description: "The providers this key may reach, in failover order",
      }),
      aliases: t.Array(t.String(), { description: "Other names the model may be called by" }),
      kind: t.Union([t.Literal("chat"), t.Literal("embedding")]),
      formats: t.Array(t.Union([t.Literal("openai"), t.Literal("anthropic")]), {
        description:
          "Client formats the model can be called with: `openai` (/v1/chat/completions …), `anthropic` (/v1/messages)",
      }),
      context_length: t.Union([t.Integer(), t.Null()], {
        description: "The context window in tokens, when configured or listed by the provider",
      }),
      pricing: t.Union([Prices, t.Null()], { description: "USD per million tokens, when configured" }),
    }),
  ),
});

const relayed = {
  200: {
    description: "The provider's answer, relayed as it arrives: JSON, or server-sent events when `stream` is true",
    content: {
      "application/json": { schema: { type: "object" as const } },
      "text/event-stream": { schema: { type: "string" as const } },
    },
    headers: {
      "x-kriora-cost-usd": {
        description:
          "The request's cost in USD (JSON answers up to 64 KB); a stream carries it as `cost` in its final usage instead",
        schema: { type: "string" as const, example: "0.000094" },
      },
    },
  },
};

interface RelayContext {
  request: Request;
  body: { model: string };
  set: { headers: Record<string, unknown> };
  principal: ProxyCall["principal"];
  server: Pick<Server<undefined>, "timeout" | "requestIP"> | null;
}

const JSON_ONLY = {
  415: {
    description:
      "The body is not `application/json` (forms, multipart and text are refused unread), in the route's error format",
    content: { "application/json": { schema: { type: "object" as const } } },
  },
};

function describe(summary: string, description: string) {
  return { summary, description, security: [{ apiKey: [] }], responses: { ...relayed, ...JSON_ONLY } };
}

/**
 * Every provider API here takes JSON: the edge's body reader (http/body.ts) refuses any other body
 * with 415 before reading it, so a form or multipart body can never pass the (field-light) schema
 * and be relayed re-encoded as JSON.
 */
const jsonBody = { body: ModelRequest };

/**
 * The model API (SPEC "Model API"): OpenAI-format routes, Anthropic's `/v1/messages`, and the
 * list of models this key may use. Bodies are processed in memory only (Policy §2, §3).
 */
export function modelRoutes(deps: Deps) {
  const proxy = createProxy(deps);
  const upstreamModels = createUpstreamCatalog(deps.config, deps.clock, deps.log);
  const listModels = async (policy: ProxyCall["principal"]["policy"]) =>
    deps.config.models.length > 0 ? listConfiguredModels(deps.config, policy) : upstreamModels.list(policy);
  const proxyCall = (endpoint: EndpointSpec, { request, body, set, principal, server }: RelayContext): ProxyCall => ({
    request,
    principal,
    endpoint,
    body: body as ProxyCall["body"],
    requestId: String(set.headers["x-request-id"]),
    clientIp: clientIp(request, server, deps.config.server),
    server,
    streamed: (ended) => markStream(request, ended),
  });
  const relay = (endpoint: EndpointSpec) => (context: RelayContext) => proxy.relay(proxyCall(endpoint, context));

  return new Elysia({ name: "models", detail: { tags: ["model"] } })
    .derive(async ({ request }) => {
      const principal = await deps.auth.authenticate(request);
      if (!principal.scopes.has("model"))
        throw new KrioraError("forbidden", "This credential does not have the model scope.");
      return { principal };
    })
    .get(
      "/v1/models",
      async ({ principal }) => ({ object: "list" as const, data: await listModels(principal.policy) }),
      {
        response: ModelList,
        detail: {
          summary: "Models this key may use",
          description:
            "Each with the client formats it can be called with, its kind, context length and prices when configured, and the retention (zdr) and region of the providers this key's policy lets it reach. With no [[models]] configured: the providers' own lists, cached.",
          security: [{ apiKey: [] }],
        },
      },
    )
    .post("/v1/chat/completions", relay(ENDPOINTS.chat), {
      ...jsonBody,
      detail: describe(
        "Chat completions (OpenAI format)",
        "Streams with `stream: true`; usage is metered whether or not `stream_options.include_usage` is set.",
      ),
    })
    .post("/v1/completions", relay(ENDPOINTS.completions), {
      ...jsonBody,
      detail: describe("Text completions (OpenAI format)", "Legacy completions, streamed or not."),
    })
    .post("/v1/embeddings", relay(ENDPOINTS.embeddings), {
      ...jsonBody,
      detail: describe("Embeddings (OpenAI format)", "Vectors for the input; never streamed."),
    })
    .post("/v1/responses", relay(ENDPOINTS.responses), {
      ...jsonBody,
      detail: describe("Responses (OpenAI format)", "OpenAI's Responses API, streamed or not."),
    })
    .post("/v1/messages", relay(ENDPOINTS.messages), {
      ...jsonBody,
      detail: describe(
        "Messages (Anthropic format)",
        "Anthropic's Messages API; the key may also be sent as `x-api-key`. Errors use Anthropic's shape.",
      ),
    })
    .post("/v1/messages/count_tokens", (context) => proxy.countTokens(proxyCall(ENDPOINTS.messages, context)), {
      ...jsonBody,
      detail: {
        summary: "Count tokens (Anthropic format)",
        description:
          "Forwarded to the model's provider when it is Anthropic; for any other provider, the gateway's estimate, marked `estimated: true` and `x-kriora-estimate: true`. Not metered.",
        security: [{ apiKey: [] }],
        responses: {
          200: {
            description: "`{ input_tokens }`",
            content: { "application/json": { schema: { type: "object" as const } } },
          },
        },
      },
    });
}

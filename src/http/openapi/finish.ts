import { wireOperations, wireSchemas } from "./wireSchemas";
import { gettingStarted, tagDescriptions } from "./guide";
import { usesAnthropicShape } from "../errors";

type Json = Record<string, unknown>;
type Operation = Json & {
  operationId?: string;
  security?: Json[];
  responses?: Record<string, Json>;
  requestBody?: { content?: Record<string, { schema?: Json }> };
  parameters?: unknown[];
  tags?: string[];
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The error answers every operation may give, in the shape of its route. */
const errorAnswers = [
  {
    status: "400",
    name: "BadRequest",
    description: "The request is invalid (a field, the JSON, or a parameter)",
    when: (op: Operation, path: string) => Boolean(op.requestBody || op.parameters?.length || path.includes("{")),
  },
  {
    status: "401",
    name: "Unauthenticated",
    description: "No valid credential",
    when: (op: Operation) => (op.security?.length ?? 0) > 0,
  },
  {
    status: "403",
    name: "Forbidden",
    description: "The credential may not do this (scope, policy, suspension)",
    when: (op: Operation) => (op.security?.length ?? 0) > 0,
  },
  {
    status: "404",
    name: "NotFound",
    description: "No such object (or not yours)",
    when: (_: Operation, path: string) => path.includes("{"),
  },
  {
    status: "413",
    name: "PayloadTooLarge",
    description: "The body exceeds server.max_body_bytes",
    when: (op: Operation) => Boolean(op.requestBody),
  },
  {
    status: "429",
    name: "RateLimited",
    description: "A rate, token, concurrency or budget limit; see Retry-After",
    when: () => true,
  },
  {
    status: "5XX",
    name: "ServerError",
    description: "The gateway or the provider failed; safe to retry later",
    when: () => true,
  },
];

/**
 * The document `@elysiajs/openapi` derives from the routes, finished for client generators:
 * OpenAPI 3.1 nullability, plain integers, named component schemas for every request and
 * answer, shared error answers, all three credentials, `servers`, tags and a getting-started
 * text. One place for all of it, so routes only describe themselves.
 */
export function finishDocument(raw: Json, publicUrl: string): Json {
  const doc = normalise(structuredClone(raw)) as Json & {
    paths: Record<string, Record<string, Operation>>;
    components?: Json;
    info: Json;
  };
  const url = publicUrl.replace(/\/+$/, "");
  const schemas: Record<string, unknown> = { ...JSON.parse(JSON.stringify(wireSchemas)) };
  const named = new Map<string, string>();
  const name = (schema: Json, wanted: string): Json => {
    if (typeof schema.$ref === "string") return schema;
    const key = JSON.stringify(schema);
    let found = named.get(key);
    if (!found) {
      found = wanted;
      for (let n = 2; found in schemas; n++) found = `${wanted}${n}`;
      schemas[found] = schema;
      named.set(key, found);
    }
    return ref(found);
  };

  const tags = new Set<string>();
  const used = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const t of op.tags ?? []) tags.add(t);
      secure(op);
      const base = pascal(op.operationId ?? `${method}${path}`);
      const wire = wireOperations[path];
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        media.schema = wire?.request
          ? ref(wire.request)
          : media.schema
            ? name(media.schema, `${base}Request`)
            : media.schema;
      }
      for (const [status, answer] of Object.entries(op.responses ?? {})) {
        const content = answer.content as Record<string, { schema?: Json }> | undefined;
        for (const [type, media] of Object.entries(content ?? {})) {
          if (/^[45]/.test(status) && type === "application/json")
            media.schema = ref(usesAnthropicShape(path) ? "AnthropicError" : "Error");
          else if (wire && status.startsWith("2"))
            media.schema = ref(type === "text/event-stream" && wire.stream ? wire.stream : wire.json);
          else if (media.schema && type === "application/json")
            media.schema = name(
              media.schema,
              `${base}${status === "200" || status === "201" || status === "202" ? "" : status}Response`,
            );
        }
      }
      for (const n of addErrors(op, path)) used.add(n);
    }
  }

  const responses: Record<string, Json> = {};
  for (const e of errorAnswers)
    for (const [prefix, shape] of [
      ["", "Error"],
      ["Anthropic", "AnthropicError"],
    ] as const)
      if (used.has(prefix + e.name))
        responses[prefix + e.name] = {
          description: e.description,
          content: { "application/json": { schema: ref(shape) } },
        };

  doc.info = { ...doc.info, description: gettingStarted(url) };
  doc.servers = [{ url, description: "This gateway (server.public_url)" }];
  doc.tags = [
    ...Object.keys(tagDescriptions).filter((t) => tags.has(t)),
    ...[...tags].filter((t) => !(t in tagDescriptions)).sort(),
  ].map((t) => ({
    name: t,
    description: tagDescriptions[t] ?? `Routes of the ${t} area.`,
  }));
  const existing = (doc.components ?? {}) as Json;
  doc.components = {
    ...existing,
    schemas: { ...((existing.schemas as Json | undefined) ?? {}), ...schemas },
    responses,
    securitySchemes: {
      apiKey: {
        type: "http",
        scheme: "bearer",
        description: "A Kriora API key (kr_…), or a token of a configured identity provider, as a bearer token",
      },
      xApiKey: {
        type: "apiKey",
        in: "header",
        name: "x-api-key",
        description: "The same API key in Anthropic's header",
      },
      session: {
        type: "apiKey",
        in: "cookie",
        name: "kriora_session",
        description: "The console's session cookie (set by the sign-in link)",
      },
    },
  };
  return doc;
}

/** Public operations say so (`security: []`); wherever a bearer key works, `x-api-key` works too. */
function secure(op: Operation) {
  if (!op.security) {
    op.security = [];
    return;
  }
  if (op.security.some((s) => "apiKey" in s) && !op.security.some((s) => "xApiKey" in s))
    op.security = [...op.security, { xApiKey: [] }];
}

/** Adds the shared error answers that apply to `op`; returns the names it referenced. */
function addErrors(op: Operation, path: string): string[] {
  const prefix = usesAnthropicShape(path) ? "Anthropic" : "";
  const responses = (op.responses ??= {});
  if (!Object.keys(responses).some((s) => s.startsWith("2"))) responses["200"] = { description: "OK" };
  return errorAnswers
    .filter((e) => e.when(op, path) && !responses[e.status])
    .map((e) => {
      responses[e.status] = { $ref: `#/components/responses/${prefix}${e.name}` };
      return prefix + e.name;
    });
}

/**
 * `nullable` (OpenAPI 3.0) becomes a `null` type, and TypeBox's numeric-string-or-integer
 * unions (what `t.Integer` turns into for form and query parsing) become plain integers.
 */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (!value || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = normalise(v);
  const anyOf = out.anyOf as Json[] | undefined;
  if (
    anyOf?.length === 2 &&
    anyOf[0]?.type === "string" &&
    anyOf[0]?.format === "integer" &&
    (anyOf[1]?.type === "integer" || anyOf[1]?.type === "number")
  ) {
    const { anyOf: _, ...rest } = out;
    return normalise({ ...rest, ...anyOf[1] });
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string") return { ...out, type: [out.type, "null"] };
    if (Array.isArray(out.anyOf) && !out.anyOf.some((s: Json) => s.type === "null"))
      out.anyOf = [...out.anyOf, { type: "null" }];
    else if (!out.anyOf) return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

function pascal(text: string): string {
  return text
    .replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))
    .replace(/^./, (c) => c.toUpperCase());
}

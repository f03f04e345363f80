import { afterAll, beforeAll, expect } from "bun:test";
import net from "node:net";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "./deps";
import { startFakeUpstream, UPSTREAM_CANARY, type FakeUpstream } from "./fakeUpstream";
import { providerToml } from "./gateway";
import { makeAccount, makeKey, makeSessionCookie } from "./identity";

/** Planted in every hostile input: it must come back in no response and reach no log line. */
export const HOSTILE_CANARY = "CANARY-hostile-4c2e91";

/** The origin a cookie-authenticated state change must come from (the default `public_url`). */
export const SAME_ORIGIN = { origin: "http://127.0.0.1:8080" };

export interface Person {
  id: string;
  email: string;
  /** A key with the model and account scopes. */
  key: string;
  keyId: string;
  cookie: string;
}

export interface HostileTarget {
  url: string;
  env: TestEnv;
  fake: FakeUpstream;
  alice: Person;
  bob: Person;
  admin: Person;
  close(): Promise<void>;
}

/** `[[models]]` of the target: one per wire format answering normally, one the provider rejects. */
export const MODELS = { openai: "gpt-fake", anthropic: "claude-fake", rejected: "gpt-rejects" };

async function person(env: TestEnv, email: string, role: "user" | "admin"): Promise<Person> {
  const account = await makeAccount(env.deps, email, role);
  const { id, key } = await makeKey(env.deps, account.id, {
    scopes: role === "admin" ? ["model", "account", "admin"] : ["model", "account"],
  });
  return { id: account.id, email, key, keyId: id, cookie: await makeSessionCookie(env.deps, account.id) };
}

/**
 * The real gateway (real authentication, batched usage writer, 1 MiB body limit) on a loopback
 * port, in front of the fake upstream, with two users and an admin. No rate limits: hostile
 * suites send many requests from one account.
 */
export async function startHostileTarget(): Promise<HostileTarget> {
  const fake = startFakeUpstream();
  const model = (id: string, provider: string, upstream: string) =>
    `[[models]]\nid = "${id}"\nprovider = "${provider}"\nupstream = "${upstream}"\n`;
  const env = await makeTestEnv(
    [
      "[server]\nport = 0\nmax_body_bytes = 1048576\n[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n",
      providerToml({ id: "oa", kind: "openai", url: fake.url }),
      providerToml({ id: "an", kind: "anthropic", url: fake.url }),
      model(MODELS.openai, "oa", "fine"),
      model(MODELS.anthropic, "an", "fine"),
      model(MODELS.rejected, "oa", "bad-400"),
    ].join("\n"),
  );
  const server: RunningServer = startServer(env.deps);
  return {
    url: server.url,
    env,
    fake,
    alice: await person(env, "alice@example.com", "user"),
    bob: await person(env, "bob@example.com", "user"),
    admin: await person(env, "root@example.com", "admin"),
    async close() {
      await server.stop();
      await fake.stop();
      env.close();
    },
  };
}

const STACK_TRACE = /\n\s+at |\bat .+:\d+:\d+|\.ts:\d+|node_modules|(?:Syntax|Type|Range|Reference)Error/;

/**
 * A clean refusal: a 4xx in the product's error shape (OpenAI's or, on /v1/messages,
 * Anthropic's), with the security headers, no stack trace and none of `canaries`. Returns the body.
 */
export async function expectCleanRefusal(
  res: Response,
  canaries: readonly string[] = [HOSTILE_CANARY],
): Promise<string> {
  const text = await res.text();
  // Status and body together, so a failure shows what came back.
  expect({ is4xx: res.status >= 400 && res.status < 500, status: res.status, body: text.slice(0, 300) }).toMatchObject({
    is4xx: true,
  });
  const body = JSON.parse(text);
  expect(typeof (body.error?.message ?? body.message)).toBe("string");
  expect(body.request_id).toBe(res.headers.get("x-request-id")!);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(text).not.toMatch(STACK_TRACE);
  for (const canary of canaries) expect(text).not.toContain(canary);
  return text;
}

/** The server still answers its liveness probe. */
export async function expectHealthy(url: string): Promise<void> {
  const res = await fetch(`${url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
}

/** No request failed unexpectedly, the log kept nothing of the hostile input nor of a provider's error message, and (positive control) it did record the requests. */
export function expectCleanLog(target: HostileTarget): void {
  const text = target.env.log.text();
  expect(text).toContain('"event":"request"');
  expect(text).not.toContain(HOSTILE_CANARY);
  expect(text).not.toContain(UPSTREAM_CANARY);
  expect(text).not.toContain('"event":"unhandled_error"');
  expect(text).not.toMatch(STACK_TRACE);
}

/**
 * One target for a test file: started before its tests (and handed to `use`); after them the
 * server must still be healthy and its log clean, then it is stopped.
 */
export function useHostileTarget(use: (target: HostileTarget) => void): void {
  let target: HostileTarget;
  beforeAll(async () => {
    target = await startHostileTarget();
    use(target);
  });
  afterAll(async () => {
    await expectHealthy(target.url);
    expectCleanLog(target);
    await target.close();
  });
}

export interface RawAnswer {
  /** The response head and body as latin1 text ("" when the server closed without a word). */
  text: string;
  status: number | null;
  /** The server closed the connection (as opposed to the client giving up waiting). */
  closed: boolean;
}

/**
 * Write exactly `bytes` to a fresh TCP connection and collect what comes back until the server
 * closes it or `ms` pass: for requests no well-behaved HTTP client would send.
 */
export function rawExchange(url: string, bytes: string | Uint8Array, ms = 2_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = "";
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ text, status: status ? Number(status) : null, closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    socket.on("error", () => done(true));
    socket.on("close", () => done(true));
    socket.write(bytes);
  });
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  minItems?: number;
  /** On model requests: the fields the gateway itself checks (the rest is the provider's to judge). */
  "x-kriora-checked"?: string[];
};

export interface Operation {
  method: string;
  /** The OpenAPI path, e.g. `/account/keys/{id}`. */
  path: string;
  /** Whether the document declares a credential for it. */
  secured: boolean;
  /** The JSON body schema, if it takes one. */
  body: JsonSchema | null;
}

/** Every operation the gateway publishes in `/openapi.json`: new routes are covered without editing the suites. */
export async function publishedOperations(url: string): Promise<Operation[]> {
  const spec = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, any>>;
    components?: { schemas?: Record<string, unknown> };
  };
  const schemas = spec.components?.schemas ?? {};
  // Bodies are named component schemas: inline them, so the suites read one plain schema.
  const inline = (value: unknown): any => {
    if (Array.isArray(value)) return value.map(inline);
    if (!value || typeof value !== "object") return value;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === "string") return inline(schemas[ref.replace("#/components/schemas/", "")]);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inline(v)]));
  };
  return Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      secured: Array.isArray(op.security) && op.security.length > 0,
      body: inline(op.requestBody?.content?.["application/json"]?.schema ?? null),
    })),
  );
}

/** A value that satisfies `schema` (required properties only): enough to get past validation to authorization. */
export function sampleOf(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return sampleOf(schema.anyOf[0]!);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object":
      return Object.fromEntries((schema.required ?? []).map((k) => [k, sampleOf(schema.properties![k]!)]));
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleOf(schema.items!));
    case "integer":
    case "number":
      return Math.max(schema.minimum ?? 1, 1);
    case "boolean":
      return false;
    default:
      return "x";
  }
}

/** A value of another JSON type than `schema` accepts, carrying the canary where it can. */
export function wrongTypeFor(schema: JsonSchema): unknown {
  const types = new Set([schema.type, ...(schema.anyOf ?? []).map((s) => s.type)].flat());
  if (schema.enum || schema.const !== undefined || !types.has("string")) return HOSTILE_CANARY;
  return types.has("array") ? { value: HOSTILE_CANARY } : [HOSTILE_CANARY];
}

/**
 * A raw answer is a clean refusal: one of `statuses`, or the server closing the connection
 * without a word when `mayClose`; never a 5xx, a stack trace or the canary.
 */
export function expectRawRefusal(answer: RawAnswer, statuses: number[], mayClose = false): void {
  if (answer.status === null)
    expect({ closed: answer.closed, mayClose, text: answer.text }).toEqual({ closed: true, mayClose: true, text: "" });
  else
    expect({ expected: statuses.includes(answer.status), head: answer.text.slice(0, 200) }).toMatchObject({
      expected: true,
    });
  expect(answer.text).not.toMatch(STACK_TRACE);
  expect(answer.text).not.toContain(HOSTILE_CANARY);
}

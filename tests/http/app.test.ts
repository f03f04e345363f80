import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import SwaggerParser from "@apidevtools/swagger-parser";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json, type Handler } from "../helpers/http";
import { makeAccount, makeKey } from "../helpers/identity";

const CANARY = "CANARY-7f3a9c-prompt-text";
let env: TestEnv;
let app: Handler;
/** Bodies are read only from an authenticated caller (outside the public routes). */
let authorization = "";

beforeAll(async () => {
  env = await makeTestEnv("[server]\nmax_body_bytes = 2048");
  authorization = `Bearer ${(await makeKey(env.deps, (await makeAccount(env.deps, "probe@example.com")).id)).key}`;
  // A probe route with a body schema, added to the real app so the real error mapping applies.
  app = createApp(env.deps).use(
    new Elysia().post("/probe", ({ body }) => ({ n: body.messages.length }), {
      body: t.Object({
        model: t.String(),
        messages: t.Array(
          t.Object(
            { role: t.Union([t.Literal("user"), t.Literal("system")]), content: t.String() },
            { additionalProperties: false },
          ),
        ),
      }),
    }),
  );
});
afterAll(() => env.close());

const get = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));
/** As a real client sends it: with a content-length. */
const post = (path: string, body: string) =>
  app.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), authorization },
    }),
  );
/** The request log line is written after the response has been handed over. */
const afterResponse = () => Bun.sleep(5);

describe("ops routes", () => {
  test("/healthz and /readyz answer", async () => {
    expect(await json(await get("/healthz"))).toEqual({ status: "ok" });
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect((await json(ready)).status).toBe("ready");
  });

  test("/readyz is 503 when the database is unreachable", async () => {
    const broken = await makeTestEnv();
    const brokenApp = createApp(broken.deps);
    broken.deps.handle.close();
    const res = await brokenApp.handle(new Request("http://localhost/readyz"));
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe("unavailable");
    broken.close();
  });

  test("GET /privacy gives the version in force and a machine-readable summary", async () => {
    const body = await json(await get("/privacy"));
    expect(body.version).toBe("2025-02-27");
    expect(body.in_force.retention).toEqual({ ip_days: 30, usage_detail_days: 90, billing_years: 10, audit_years: 6 });
    expect(body.in_force.content_retention).toBe("none");
    expect(body.in_force.minimum_age).toBe(13);
  });
});

describe("§3 zero retention: errors never echo request content", () => {
  const cases: [string, string][] = [
    ["wrong type", JSON.stringify({ model: 42, messages: [{ role: "user", content: CANARY }] })],
    ["bad enum value carrying the canary", JSON.stringify({ model: "m", messages: [{ role: CANARY, content: "x" }] })],
    ["missing field", JSON.stringify({ messages: [{ role: "user", content: CANARY }] })],
    ["truncated JSON", `{"model":"m","messages":[{"role":"user","content":"${CANARY}`],
    ["not JSON at all", `${CANARY} <html>`],
  ];

  test.each(cases)("%s → 4xx in the OpenAI shape without the canary, nothing logged", async (_, body) => {
    const before = env.log.lines.length;
    const res = await post("/probe", body);
    const text = await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const parsed = JSON.parse(text);
    expect(parsed.error).toMatchObject({ type: "invalid_request_error" });
    expect(parsed.request_id).toBe(res.headers.get("x-request-id")!);
    expect(text).not.toContain(CANARY);
    await afterResponse();
    const logged = env.log.lines.slice(before).join("\n");
    expect(logged).toContain('"route":"/probe"');
    expect(logged).not.toContain(CANARY);
  });

  test("positive control: a valid body reaches the handler, and the log scan sees what is logged", async () => {
    const res = await post("/probe", JSON.stringify({ model: "m", messages: [{ role: "user", content: CANARY }] }));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ n: 1 });
    env.deps.log.info("control", { marker: CANARY });
    expect(env.log.text()).toContain(CANARY);
  });

  test("§7 mass assignment: unknown properties are dropped before the handler, never echoed", async () => {
    const res = await post(
      "/probe",
      JSON.stringify({ model: "m", messages: [{ role: "user", content: "x", [CANARY]: 1 }] }),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain(CANARY);
  });

  test("the offending field is named by its schema path", async () => {
    const res = await post("/probe", JSON.stringify({ model: 42, messages: [] }));
    expect((await json(res)).error.param).toBe("/model");
  });

  test("/v1/messages errors use Anthropic's shape", async () => {
    const res = await post("/v1/messages", "{}");
    const body = await json(res);
    expect(body.type).toBe("error");
    expect(typeof body.error.type).toBe("string");
    expect(typeof body.error.message).toBe("string");
  });
});

describe("§9 security: limits and headers", () => {
  test("a body over max_body_bytes gets 413 in the OpenAI shape", async () => {
    const res = await post(
      "/probe",
      JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(4096) }] }),
    );
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe("payload_too_large");
  });

  test("every response carries security headers and a request id", async () => {
    for (const res of [await get("/healthz"), await get("/no/such/route"), await post("/probe", "{")]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-z]{20}$/);
    }
  });

  test("unknown routes are 404 in the OpenAI shape", async () => {
    const res = await get("/v1/nothing-here");
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatchObject({ type: "not_found_error", code: "not_found" });
  });

  test("one JSON log line per request: id, route, status, latency and nothing else", async () => {
    const res = await get("/healthz?email=ada@example.com");
    const id = res.headers.get("x-request-id")!;
    await afterResponse();
    const line = env.log.lines.map((l) => JSON.parse(l)).find((l) => l.id === id);
    expect(line).toMatchObject({ event: "request", method: "GET", route: "/healthz", status: 200 });
    expect(Object.keys(line).sort()).toEqual(["event", "id", "level", "method", "ms", "route", "status"]);
    expect(env.log.text()).not.toContain("ada@example.com");
  });
});

describe("OpenAPI and docs", () => {
  test("/openapi.json passes a real OpenAPI validator", async () => {
    const spec = await json(await get("/openapi.json"));
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.paths["/healthz"]).toBeDefined();
    await SwaggerParser.validate(structuredClone(spec));
  });

  test("/docs loads its UI from the binary: no third-party URL, CSP confined to self", async () => {
    const res = await get("/docs");
    const html = await res.text();
    const urls = [...html.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(urls).toContain("/docs/assets/scalar.js");
    for (const u of urls) expect(u.startsWith("/")).toBe(true);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const bundle = await get("/docs/assets/scalar.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toContain("javascript");
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });
});

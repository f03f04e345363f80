import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { scanBytes } from "../helpers/canaryScan";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { providerToml } from "../helpers/gateway";
import { makeAccount, makeKey } from "../helpers/identity";

const PROMPT_CANARY = "CANARY-otel-prompt-5b1e";
const EMAIL = "canary-otel-7d2c@example.com";
const IP_CANARY = "203.0.113.77";
/** Positive control: the model id is meant to be in the spans, so the scan must find it. */
const MODEL = "model-otel-visible-91fa";

interface Receiver {
  url: string;
  bodies: Buffer[];
  stop(): void;
}

/** An OTLP/HTTP collector stand-in on loopback: keeps every export request's raw body. */
function startReceiver(): Receiver {
  const bodies: Buffer[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (req.method === "POST" && new URL(req.url).pathname === "/v1/traces")
        bodies.push(Buffer.from(await req.arrayBuffer()));
      return Response.json({});
    },
  });
  return { url: `http://127.0.0.1:${server.port}/v1/traces`, bodies, stop: () => server.stop(true) };
}

let receiver: Receiver;
let fake: FakeUpstream;
let env: TestEnv;
let server: RunningServer;
let key: string;

beforeAll(async () => {
  receiver = startReceiver();
  fake = startFakeUpstream();
  env = await makeTestEnv(
    `[telemetry]\notlp_traces_url = "${receiver.url}"\nservice_name = "kriora-test"\n${providerToml({ id: "oa", kind: "openai", url: fake.url })}[[models]]\nid = "${MODEL}"\nprovider = "oa"\nupstream = "fine"\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n`,
    { env: { FAKE_OPENAI_KEY: "sk-provider-otel" } },
  );
  server = startServer(env.deps);
  const account = await makeAccount(env.deps, EMAIL);
  key = (await makeKey(env.deps, account.id)).key;
});
afterAll(async () => {
  await server.stop();
  env.close();
  await fake.stop();
  receiver.stop();
});

type OtlpSpan = {
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  startTimeUnixNano: string;
  endTimeUnixNano: string;
};
function spans(): OtlpSpan[] {
  return receiver.bodies.flatMap((b) =>
    JSON.parse(b.toString()).resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)),
  );
}
const attrs = (span: OtlpSpan) => Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]));

describe("OpenTelemetry traces (telemetry.otlp_traces_url)", () => {
  test("§3 one span per request, with route, model, provider, status, tokens, cost and TTFB; no prompt, email, address or key in what is exported", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-forwarded-for": IP_CANARY },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: PROMPT_CANARY }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const refused = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(refused.status).toBe(401);

    const deadline = Date.now() + 10_000;
    while (spans().length < 2 && Date.now() < deadline) await Bun.sleep(50);
    const chat = spans().find((s) => attrs(s)["kriora.request_id"] === res.headers.get("x-request-id"));
    expect(chat).toBeDefined();
    expect(chat!.name).toBe("POST /v1/chat/completions");
    expect(attrs(chat!)).toMatchObject({
      "http.route": "/v1/chat/completions",
      "http.response.status_code": 200,
      "gen_ai.request.model": MODEL,
      "gen_ai.provider.name": "oa",
      "kriora.outcome": "ok",
    });
    const a = attrs(chat!);
    expect(Number(a["gen_ai.usage.input_tokens"])).toBeGreaterThan(0);
    expect(Number(a["gen_ai.usage.output_tokens"])).toBeGreaterThan(0);
    expect(Number(a["kriora.cost_usd"])).toBeGreaterThan(0);
    expect(typeof a["kriora.ttfb_ms"]).toBe("number");
    expect(BigInt(chat!.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(chat!.startTimeUnixNano));
    expect(spans().some((s) => attrs(s)["http.response.status_code"] === 401)).toBe(true);

    const exported = Buffer.concat(receiver.bodies);
    expect(scanBytes("otlp", exported, MODEL).length).toBeGreaterThan(0);
    for (const secret of [PROMPT_CANARY, EMAIL, IP_CANARY, key, key.slice(-16), "sk-provider-otel", fake.reply])
      expect({ secret, found: scanBytes("otlp", exported, secret) }).toEqual({ secret, found: [] });
  }, 30_000);
});

describe("tracing off (the default)", () => {
  test("the OpenTelemetry SDK is never loaded: a gateway that served a request has no @opentelemetry module in memory", () => {
    const script = `
      import { makeTestEnv } from ${JSON.stringify(join(import.meta.dir, "../helpers/deps.ts"))};
      import { createApp } from ${JSON.stringify(join(import.meta.dir, "../../src/http/app.ts"))};
      const env = await makeTestEnv();
      await createApp(env.deps).handle(new Request("http://localhost/healthz"));
      env.close();
      console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes("@opentelemetry/"))));`;
    // With tracing on the SDK is imported in the background: wait for that import itself (bounded), not for a fixed time.
    const loaded = `const until = Date.now() + 20_000;
      while (!Object.keys(require.cache).some((k) => k.includes("@opentelemetry/")) && Date.now() < until) await Bun.sleep(20);
      env.close();`;
    const run = (code: string) =>
      JSON.parse(
        Bun.spawnSync([process.execPath, "-e", code], {
          cwd: join(import.meta.dir, "../.."),
          stdout: "pipe",
          stderr: "pipe",
        }).stdout.toString(),
      );
    expect(run(script)).toEqual([]);
    const on = script
      .replace(
        "await makeTestEnv()",
        `await makeTestEnv('[telemetry]\\notlp_traces_url = "http://127.0.0.1:9/v1/traces"')`,
      )
      .replace("env.close();", loaded);
    expect(run(on).length).toBeGreaterThan(0);
  }, 30_000);
});

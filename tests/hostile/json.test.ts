import { beforeAll, describe, expect, test } from "bun:test";
import {
  expectCleanRefusal,
  expectHealthy,
  HOSTILE_CANARY,
  MODELS,
  publishedOperations,
  sampleOf,
  useHostileTarget,
  wrongTypeFor,
  type HostileTarget,
  type Operation,
} from "../helpers/hostile";

let target: HostileTarget;
let withBodies: Operation[];
useHostileTarget((t) => (target = t));
beforeAll(async () => {
  withBodies = (await publishedOperations(target.url)).filter((op) => op.body);
});

/** As the admin (every scope), at ids that do not exist: a body that got through could change nothing. */
const send = (op: Operation, body: string, contentType = "application/json") =>
  fetch(`${target.url}${op.path.replace(/\{\w+\}/g, "nonexistent0000")}`, {
    method: op.method,
    headers: { "content-type": contentType, authorization: `Bearer ${target.admin.key}` },
    body,
  });

describe("§3 hostile input: malformed, truncated and wrongly typed JSON on every route that takes a body", () => {
  test("the routes come from /openapi.json (positive control: the model and account routes are among them)", () => {
    const paths = withBodies.map((op) => `${op.method} ${op.path}`);
    for (const p of [
      "POST /v1/chat/completions",
      "POST /v1/messages",
      "PATCH /account",
      "POST /account/keys",
      "POST /auth/signup",
    ])
      expect(paths).toContain(p);
  });

  const broken: [string, string][] = [
    ["truncated JSON", `{"model":"gpt-fake","messages":[{"role":"user","content":"${HOSTILE_CANARY}`],
    ["not JSON at all", `${HOSTILE_CANARY} <html><script>`],
    ["a lone string", JSON.stringify(HOSTILE_CANARY)],
    ["an array", JSON.stringify([HOSTILE_CANARY])],
    ["a number", "4e2"],
    ["trailing garbage after a value", `{"model":"gpt-fake"} ${HOSTILE_CANARY}`],
    ["duplicate keys and a comment", `{"model":"gpt-fake", /* ${HOSTILE_CANARY} */ "model":1}`],
  ];

  test.each(broken)("%s → a clean 4xx everywhere", async (_, body) => {
    for (const op of withBodies) await expectCleanRefusal(await send(op, body));
    await expectHealthy(target.url);
  });

  test("each field of each body, given a value of the wrong type (the rest valid) → a clean 400 naming the field, never the value", async () => {
    let cases = 0;
    for (const op of withBodies) {
      // Model requests document the provider's fields too; the gateway itself checks only these.
      const checked = op.body!["x-kriora-checked"];
      for (const [field, schema] of Object.entries(op.body!.properties ?? {}).filter(
        ([f]) => !checked || checked.includes(f),
      )) {
        const body = { ...(sampleOf(op.body!) as object), [field]: wrongTypeFor(schema) };
        const res = await send(op, JSON.stringify(body));
        expect([op.method, op.path, field, res.status]).toEqual([op.method, op.path, field, 400]);
        const text = await expectCleanRefusal(res);
        if (!op.path.startsWith("/v1/messages")) expect(JSON.parse(text).error.param).toStartWith(`/${field}`);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(20);
  });

  test("each field given an object that cannot become text ({toString: 0}) → never a 500, a clean 400 where objects are not allowed", async () => {
    const poison = { toString: 0, valueOf: HOSTILE_CANARY };
    let refused = 0;
    for (const op of withBodies) {
      for (const field of Object.keys(op.body!.properties ?? {})) {
        const res = await send(op, JSON.stringify({ ...(sampleOf(op.body!) as object), [field]: poison }));
        expect([op.method, op.path, field, res.status < 500]).toEqual([op.method, op.path, field, true]);
        if (res.status === 400) {
          await expectCleanRefusal(res);
          refused++;
        } else await res.body?.cancel();
      }
    }
    expect(refused).toBeGreaterThan(20);
    await expectHealthy(target.url);
  });

  test("a JSON body sent as text/plain or as a form is refused by the model routes, unparsed", async () => {
    for (const op of withBodies.filter((o) => o.path.startsWith("/v1/"))) {
      await expectCleanRefusal(
        await send(
          op,
          JSON.stringify({ model: "gpt-fake", messages: [{ role: "user", content: HOSTILE_CANARY }] }),
          "text/plain",
        ),
      );
      await expectCleanRefusal(
        await send(op, `model=${HOSTILE_CANARY}&stream=yes`, "application/x-www-form-urlencoded"),
      );
    }
    expect(target.fake.requests).toEqual([]);
  });

  test("a model route answers 415 in its own error format to a form, multipart, text or untyped body, before reading it", async () => {
    const models = withBodies.filter((o) => o.method === "POST" && o.path.startsWith("/v1/"));
    expect(models.map((o) => o.path).sort()).toEqual([
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/embeddings",
      "/v1/messages",
      "/v1/messages/count_tokens",
      "/v1/responses",
    ]);
    const post = (path: string, body: string | FormData | Uint8Array, contentType?: string) =>
      fetch(`${target.url}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${target.admin.key}`,
          ...(contentType ? { "content-type": contentType } : {}),
        },
        body,
      });
    for (const { path } of models) {
      const model = path.startsWith("/v1/messages") ? MODELS.anthropic : MODELS.openai;
      const form = new FormData();
      form.set("model", model);
      const bodies: [string, Response][] = [
        ["form", await post(path, `model=${model}`, "application/x-www-form-urlencoded")],
        ["multipart", await post(path, form)],
        ["text", await post(path, JSON.stringify({ model }), "text/plain")],
        ["json look-alike", await post(path, JSON.stringify({ model }), "application/jsonx")],
        ["untyped", await post(path, new TextEncoder().encode(JSON.stringify({ model })))],
      ];
      for (const [kind, res] of bodies) {
        expect([path, kind, res.status]).toEqual([path, kind, 415]);
        const body = JSON.parse(await expectCleanRefusal(res));
        if (path.startsWith("/v1/messages"))
          expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
        else expect(body.error).toMatchObject({ code: "unsupported_media_type", type: "invalid_request_error" });
      }
    }
    expect(target.fake.requests).toEqual([]);
    // Positive control: JSON with a charset parameter goes through to the provider.
    const ok = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: MODELS.openai, messages: [{ role: "user", content: "hi" }] }),
      "application/json; charset=utf-8",
    );
    expect(ok.status).toBe(200);
    expect(target.fake.requests).toHaveLength(1);
    target.fake.requests.length = 0;
  });

  test("/openapi.json documents the 415 of every model route", async () => {
    const spec = (await (await fetch(`${target.url}/openapi.json`)).json()) as {
      paths: Record<string, { post: { responses: object } }>;
    };
    for (const path of ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/messages"])
      expect(Object.keys(spec.paths[path].post.responses)).toContain("415");
  });
});

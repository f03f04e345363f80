import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import openapiTS, { astToString } from "openapi-typescript";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

const root = join(import.meta.dir, "../..");
const PUBLIC_URL = "https://gateway.example.test";
const METHODS = ["get", "put", "post", "delete", "patch"];
let env: TestEnv;
let dir: string;
let spec: any;

beforeAll(async () => {
  env = await makeTestEnv(`[server]\npublic_url = "${PUBLIC_URL}"`);
  spec = await (await createApp(env.deps).handle(new Request("http://localhost/openapi.json"))).json();
  dir = mkdtempSync(join(tmpdir(), "kriora-openapi-"));
});
afterAll(() => {
  env.close();
  rmSync(dir, { recursive: true, force: true });
});

const operations = () =>
  Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })),
  );

/** `@redocly/cli lint` from node_modules, with the repository's redocly.yaml; its JSON report. */
function redocly(doc: unknown): { totals: { errors: number; warnings: number }; problems: { ruleId: string }[] } {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const run = Bun.spawnSync(
    [
      process.execPath,
      join(root, "node_modules/@redocly/cli/bin/cli.js"),
      "lint",
      file,
      "--config",
      join(root, "redocly.yaml"),
      "--format",
      "json",
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const out = run.stdout.toString();
  return JSON.parse(out.slice(out.indexOf("{")));
}

describe("/openapi.json for client generators", () => {
  test("@redocly/cli lint (recommended ruleset) finds nothing; a document with a known fault is caught (control)", () => {
    const report = redocly(spec);
    expect(report.problems.map((p) => p.ruleId)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    const broken = structuredClone(spec);
    delete broken.paths["/healthz"].get.responses["429"];
    delete broken.paths["/healthz"].get.responses["5XX"];
    broken.servers = [];
    expect(
      redocly(broken)
        .problems.map((p) => p.ruleId)
        .sort(),
    ).toEqual(["no-empty-servers", "operation-4xx-response"]);
  }, 60_000);

  test("swagger-parser still validates it", async () => {
    await SwaggerParser.validate(structuredClone(spec));
  });

  test("servers from public_url, a getting-started text, described tags, three credentials", () => {
    expect(spec.servers).toEqual([{ url: PUBLIC_URL, description: expect.any(String) }]);
    expect(spec.info.description).toContain("## Getting started");
    expect(spec.info.description).toContain(`${PUBLIC_URL}/v1`);
    const used = new Set(operations().flatMap(({ op }) => op.tags ?? []));
    expect(new Set(spec.tags.map((t: { name: string }) => t.name))).toEqual(used);
    for (const tag of spec.tags) expect(tag.description.length).toBeGreaterThan(10);
    expect(spec.components.securitySchemes).toMatchObject({
      apiKey: { type: "http", scheme: "bearer" },
      xApiKey: { type: "apiKey", in: "header", name: "x-api-key" },
      session: { type: "apiKey", in: "cookie", name: "kriora_session" },
    });
    expect(spec.paths["/v1/chat/completions"].post.security).toEqual([{ apiKey: [] }, { xApiKey: [] }]);
    expect(spec.paths["/healthz"].get.security).toEqual([]);
  });

  test("every operation has 4xx and 5xx answers in the shared error schema (Anthropic's on /v1/messages and /v1/messages/count_tokens); every JSON body is a named schema", () => {
    for (const { path, op } of operations()) {
      const statuses = Object.keys(op.responses);
      expect({ path, has4xx: statuses.some((s) => s.startsWith("4")), has5xx: statuses.includes("5XX") }).toEqual({
        path,
        has4xx: true,
        has5xx: true,
      });
      const errorShape = path.startsWith("/v1/messages") ? "AnthropicError" : "Error";
      for (const s of statuses.filter((s) => /^[45]/.test(s))) {
        const answer = op.responses[s].$ref
          ? spec.components.responses[op.responses[s].$ref.split("/").pop()]
          : op.responses[s];
        const schema = answer.content?.["application/json"]?.schema;
        if (schema)
          expect({ path, s, ref: schema.$ref }).toEqual({ path, s, ref: `#/components/schemas/${errorShape}` });
      }
      const bodies = [
        ...Object.values(op.requestBody?.content ?? {}),
        ...Object.values(op.responses).flatMap((r: any) =>
          Object.entries(r.content ?? {})
            .filter(([t]) => t === "application/json")
            .map(([, m]) => m),
        ),
      ];
      for (const media of bodies as { schema?: { $ref?: string } }[])
        if (media.schema)
          expect({ path, ref: media.schema.$ref }).toEqual({
            path,
            ref: expect.stringMatching(/^#\/components\/schemas\/\w+$/),
          });
    }
    expect(JSON.stringify(spec)).not.toContain('"nullable"');
  });

  test("the model API describes its main shapes", () => {
    const content = (path: string) => spec.paths[path].post.responses["200"].content;
    expect(spec.paths["/v1/chat/completions"].post.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/ChatCompletionRequest",
    );
    expect(content("/v1/chat/completions")["application/json"].schema.$ref).toBe("#/components/schemas/ChatCompletion");
    expect(content("/v1/chat/completions")["text/event-stream"].schema.$ref).toBe(
      "#/components/schemas/ChatCompletionChunk",
    );
    expect(content("/v1/messages")["text/event-stream"].schema.$ref).toBe("#/components/schemas/MessageStreamEvent");
    expect(content("/v1/embeddings")["application/json"].schema.$ref).toBe("#/components/schemas/EmbeddingList");
    expect(spec.paths["/v1/models"].get.responses["200"].content["application/json"].schema.$ref).toMatch(
      /^#\/components\/schemas\//,
    );
  });

  test("openapi-typescript generates types that type-check a small client for chat, keys and usage; a misuse does not type-check (control)", async () => {
    const types = astToString(await openapiTS(structuredClone(spec)));
    writeFileSync(join(dir, "kriora-api.d.ts"), types);
    console.log(`generated client types: ${types.length} bytes, ${types.split("\n").length} lines`);
    expect(types).not.toMatch(/"\/v1\/chat\/completions"[\s\S]{0,400}Record<string, never>/);
    writeFileSync(
      join(dir, "client.ts"),
      `import type { components, paths } from "./kriora-api";
type Schemas = components["schemas"];
type ChatRequest = Schemas["ChatCompletionRequest"];
type Chat = paths["/v1/chat/completions"]["post"]["responses"]["200"]["content"]["application/json"];
type NewKey = paths["/account/keys"]["post"]["requestBody"];
type Usage = paths["/account/usage"]["get"]["responses"]["200"]["content"]["application/json"];
type ApiError = Schemas["Error"];

async function call<T>(path: string, init: RequestInit): Promise<T> {
  const res = await fetch("${PUBLIC_URL}" + path, init);
  if (!res.ok) throw new Error(((await res.json()) as ApiError).error.code);
  return (await res.json()) as T;
}
export async function chat(key: string, text: string): Promise<string | null> {
  const body: ChatRequest = { model: "m", messages: [{ role: "user", content: text }] };
  const answer = await call<Chat>("/v1/chat/completions", { method: "POST", headers: { authorization: "Bearer " + key }, body: JSON.stringify(body) });
  const content = answer.choices[0]?.message.content;
  const tokens: number | undefined = answer.usage?.total_tokens;
  return typeof content === "string" ? content + String(tokens ?? "") : null;
}
export async function newKey(cookie: string, name: string) {
  const body: NonNullable<NewKey>["content"]["application/json"] = { name };
  return call<{ key: string }>("/account/keys", { method: "POST", headers: { cookie }, body: JSON.stringify(body) });
}
export async function spent(key: string): Promise<number> {
  const usage = await call<Usage>("/account/usage", { headers: { "x-api-key": key } });
  return usage.totals.cost_micros + usage.totals.input_tokens;
}
`,
    );
    writeFileSync(
      join(dir, "misuse.ts"),
      `import type { components } from "./kriora-api";
export const wrong: components["schemas"]["ChatCompletion"]["choices"][number]["index"] = "first";
`,
    );
    const tsc = (file: string) =>
      Bun.spawnSync(
        [
          process.execPath,
          join(root, "node_modules/typescript/bin/tsc"),
          "--noEmit",
          "--strict",
          "--target",
          "es2022",
          "--module",
          "esnext",
          "--moduleResolution",
          "bundler",
          "--lib",
          "es2022,dom",
          file,
        ],
        {
          cwd: dir,
          stdout: "pipe",
          stderr: "pipe",
        },
      );
    const ok = tsc("client.ts");
    expect(ok.stdout.toString()).toBe("");
    expect(ok.exitCode).toBe(0);
    const misuse = tsc("misuse.ts");
    expect(misuse.exitCode).not.toBe(0);
    expect(misuse.stdout.toString()).toContain("not assignable to type 'number'");
  }, 60_000);
});

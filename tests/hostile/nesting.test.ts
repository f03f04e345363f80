import { describe, expect, test } from "bun:test";
import { jsonNestsDeeperThan, MAX_BODY_DEPTH } from "../../src/http/bodyShape";
import {
  expectCleanRefusal,
  expectHealthy,
  HOSTILE_CANARY,
  MODELS,
  SAME_ORIGIN,
  useHostileTarget,
  type HostileTarget,
} from "../helpers/hostile";

let target: HostileTarget;
useHostileTarget((t) => (target = t));

const DEEP = 100_000;
const arrays = (n: number) => `${"[".repeat(n)}"${HOSTILE_CANARY}"${"]".repeat(n)}`;
const objects = (n: number) => `${'{"a":'.repeat(n)}"${HOSTILE_CANARY}"${"}".repeat(n)}`;

const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${target.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("§3 hostile input: deep nesting is refused before anything recurses through it", () => {
  const cases: [string, string, (n: number) => string][] = [
    [
      "100k nested arrays in a chat body",
      "/v1/chat/completions",
      (n) => `{"model":"${MODELS.openai}","messages":${arrays(n)}}`,
    ],
    [
      "100k nested objects in a streamed chat body",
      "/v1/chat/completions",
      (n) => `{"model":"${MODELS.openai}","stream":true,"messages":${objects(n)}}`,
    ],
    [
      "100k nested arrays in a messages body",
      "/v1/messages",
      (n) => `{"model":"${MODELS.anthropic}","max_tokens":8,"messages":${arrays(n)}}`,
    ],
    [
      "100k nested arrays in an embeddings input",
      "/v1/embeddings",
      (n) => `{"model":"${MODELS.openai}","input":${arrays(n)}}`,
    ],
    [
      "100k nested objects in a responses body",
      "/v1/responses",
      (n) => `{"model":"${MODELS.openai}","input":${objects(n)}}`,
    ],
    ["100k nested arrays in a field with a schema", "/account/keys", (n) => `{"name":${arrays(n)}}`],
  ];

  test.each(cases)("%s → a clean 400 within a second; the provider is never called", async (_, path, body) => {
    const started = performance.now();
    const res = await post(path, body(DEEP), { authorization: `Bearer ${target.alice.key}` });
    expect(res.status).toBe(400);
    expect(await expectCleanRefusal(res)).toContain(`nests more than ${MAX_BODY_DEPTH} levels`);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(target.fake.requests).toEqual([]);
    await expectHealthy(target.url);
  });

  test("a cookie-authenticated route and a public one refuse it alike", async () => {
    await expectCleanRefusal(
      await post("/account/object", `{"scope":${objects(DEEP)}}`, { cookie: target.alice.cookie, ...SAME_ORIGIN }),
    );
    await expectCleanRefusal(
      await post("/auth/signup", `{"email":"x@example.com","age_confirmed":${arrays(DEEP)}}`, {}),
    );
    await expectHealthy(target.url);
  });

  test("control: nesting at the limit still reaches the provider", async () => {
    const res = await post(
      "/v1/chat/completions",
      `{"model":"${MODELS.openai}","messages":${arrays(MAX_BODY_DEPTH - 1)}}`,
      { authorization: `Bearer ${target.alice.key}` },
    );
    expect(res.status).toBe(200);
    await res.text();
    expect(target.fake.requests.length).toBe(1);
  });

  test("the depth check is an exact byte scan: brackets inside strings do not count, 200k levels cost one pass", () => {
    const nest = (n: number) => `${'{"a":['.repeat(n / 2)}1${"]}".repeat(n / 2)}`;
    expect(jsonNestsDeeperThan(nest(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(false);
    expect(jsonNestsDeeperThan(nest(MAX_BODY_DEPTH + 2), MAX_BODY_DEPTH)).toBe(true);
    expect(jsonNestsDeeperThan(`[${nest(MAX_BODY_DEPTH)}]`, MAX_BODY_DEPTH)).toBe(true);
    expect(jsonNestsDeeperThan(nest(200_000), MAX_BODY_DEPTH)).toBe(true);
    expect(jsonNestsDeeperThan(`{"s":"${"[".repeat(10_000)}\\"${"{".repeat(10_000)}"}`, MAX_BODY_DEPTH)).toBe(false);
    expect(
      jsonNestsDeeperThan(
        JSON.stringify({ wide: Array.from({ length: 100_000 }, () => ({ a: [1] })) }),
        MAX_BODY_DEPTH,
      ),
    ).toBe(false);
  });
});

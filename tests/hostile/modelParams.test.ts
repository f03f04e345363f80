import { describe, expect, test } from "bun:test";
import { UPSTREAM_CANARY } from "../helpers/fakeUpstream";
import { makeKey } from "../helpers/identity";
import { expectCleanRefusal, HOSTILE_CANARY, MODELS, useHostileTarget, type HostileTarget } from "../helpers/hostile";

let target: HostileTarget;
useHostileTarget((t) => (target = t));

const post = (path: string, body: string, key = target.alice.key) =>
  fetch(`${target.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body,
  });
const chat = (model: string, extra: string) =>
  `{"model":"${model}",${extra}"messages":[{"role":"user","content":"${HOSTILE_CANARY}"}]}`;

const ABSURD: [string, string][] = [
  ["negative", "-1"],
  ["zero", "0"],
  ["1e308", "1e308"],
  ["beyond double range (1e999)", "1e999"],
  ["a fraction", "0.5"],
  ["a string", `"${HOSTILE_CANARY}"`],
  ["an array", "[1,2]"],
  ["an object", `{"n":1}`],
  ["null", "null"],
];

describe("§5 hostile input: absurd max_tokens", () => {
  test.each(ABSURD)(
    "max_tokens %s: the provider judges it (the gateway checks only model and stream); its refusal comes back clean",
    async (_, value) => {
      const rejected = await post("/v1/chat/completions", chat(MODELS.rejected, `"max_tokens":${value},`));
      expect(rejected.status).toBe(400);
      await expectCleanRefusal(rejected, [HOSTILE_CANARY, UPSTREAM_CANARY]);
      const anthropic = await post("/v1/messages", chat(MODELS.anthropic, `"max_tokens":${value},`));
      expect(anthropic.status).toBe(200);
      await anthropic.text();
    },
  );

  test("a key with a token limit: an absurd reservation is capped at one minute's budget (admitted or a clean 429), and never poisons the bucket", async () => {
    const limited = await makeKey(target.env.deps, target.alice.id, { tpm: 5_000 });
    for (const [, value] of ABSURD) {
      const res = await post("/v1/chat/completions", chat(MODELS.openai, `"max_tokens":${value},`), limited.key);
      if (res.status === 429) {
        expect(Number(res.headers.get("retry-after"))).toBeWithin(1, 61);
        await expectCleanRefusal(res);
      } else {
        expect([value, res.status]).toEqual([value, 200]);
        await res.text();
      }
    }
    const after = await post("/v1/chat/completions", chat(MODELS.openai, ""), limited.key);
    expect(after.status).toBe(200);
    expect(Number(after.headers.get("x-ratelimit-remaining-tokens"))).toBeGreaterThan(0);
    await after.text();
  });
});

describe("§5 hostile input: unknown and malformed model names", () => {
  const NAMES: [string, unknown][] = [
    ["unknown", `no-such-model-${HOSTILE_CANARY}`],
    ["a provider/model pair outside [[models]]", "oa/fine"],
    ["a path", "../../etc/passwd"],
    ["too long", "m".repeat(257)],
    ["empty", ""],
    ["with spaces and quotes", `gpt "${HOSTILE_CANARY}"`],
    ["non-ASCII", `gpt-ñ-${HOSTILE_CANARY}`],
    ["a number", 42],
    ["null", null],
    ["an object", { id: HOSTILE_CANARY }],
  ];

  test.each(NAMES)("%s → a clean 4xx that does not repeat it; no provider is called", async (_, model) => {
    const calls = target.fake.requests.length;
    await expectCleanRefusal(await post("/v1/chat/completions", JSON.stringify({ model, messages: [] })));
    expect(target.fake.requests.length).toBe(calls);
  });

  test("a model whose provider's format has no translation for the route (embeddings of an Anthropic model) → a clean 4xx; no provider is called", async () => {
    const calls = target.fake.requests.length;
    await expectCleanRefusal(
      await post("/v1/embeddings", JSON.stringify({ model: MODELS.anthropic, input: HOSTILE_CANARY })),
    );
    expect(target.fake.requests.length).toBe(calls);
  });
});

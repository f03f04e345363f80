import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { expectHealthy, MODELS, useHostileTarget, type HostileTarget } from "../helpers/hostile";

let target: HostileTarget;
useHostileTarget((t) => (target = t));
afterAll(() => expect(target.env.log.text()).not.toContain(CANARY_PREFIX));

const RUNS_PER_ROUTE = 200;
const CANARY_PREFIX = "CANARY-fuzz-";
const ROUTES = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/messages"];

/** A canary unique to one run, planted in the body: it must never come back in an error nor reach a log line. */
const canary = fc.nat().map((n) => `${CANARY_PREFIX}${n.toString(36)}`);
const model = fc.oneof(
  fc.constantFrom(MODELS.openai, MODELS.anthropic, MODELS.rejected),
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const maxTokens = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 10 }), fc.constant(null));

/** Bodies from plausible to broken: well-formed requests with odd fields, arbitrary JSON, truncated JSON, plain noise. */
function body(mark: string) {
  const request = fc
    .record(
      {
        model,
        stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
        max_tokens: maxTokens,
        messages: fc.array(
          fc.record({
            role: fc.constantFrom("user", "assistant", "system", mark),
            content: fc.oneof(
              fc.string().map((s) => `${s}${mark}`),
              fc.jsonValue({ maxDepth: 3 }),
            ),
          }),
          { maxLength: 4 },
        ),
        input: fc.oneof(
          fc.string().map((s) => mark + s),
          fc.array(fc.string()),
        ),
        extra: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
      },
      { requiredKeys: ["model"] },
    )
    .map(({ extra, ...fields }) => JSON.stringify({ ...extra, [mark]: mark, ...fields }));
  return fc.oneof(
    { weight: 6, arbitrary: request },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify([v, mark])) },
    {
      weight: 2,
      arbitrary: fc.tuple(request, fc.nat()).map(([text, cut]) => text.slice(0, cut % Math.max(text.length, 1))),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => mark + s) },
  );
}

describe("§3 property: fuzzed model-route bodies never make the gateway fail or keep content", () => {
  test.each(ROUTES)(`%s: ${RUNS_PER_ROUTE} bodies → no 5xx, the canary never echoed nor logged`, async (route) => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        canary.chain((mark) => fc.tuple(fc.constant(mark), body(mark))),
        async ([mark, text]) => {
          const logged = target.env.log.lines.length;
          const res = await fetch(`${target.url}${route}`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${target.alice.key}` },
            body: text,
          });
          const answer = await res.text();
          statuses.add(res.status);
          expect({ serverError: res.status >= 500, status: res.status, answer: answer.slice(0, 200) }).toMatchObject({
            serverError: false,
          });
          expect(answer).not.toContain(mark);
          expect(target.env.log.lines.slice(logged).join("\n")).not.toContain(mark);
        },
      ),
      { numRuns: RUNS_PER_ROUTE },
    );
    // Positive control: the fuzzer got past validation to the provider as well as being refused.
    expect(statuses.has(200)).toBe(true);
    expect(statuses.has(400)).toBe(true);
    await expectHealthy(target.url);
  });
});

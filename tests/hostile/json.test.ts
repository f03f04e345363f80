import { beforeAll, describe, expect, test } from "bun:test";
import {
  expectCleanRefusal,
  expectHealthy,
  HOSTILE_CANARY,
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
    for (const p of ["POST /v1/chat/completions", "POST /v1/messages", "PATCH /account", "POST /account/keys", "POST /auth/signup"]) expect(paths).toContain(p);
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
      for (const [field, schema] of Object.entries(op.body!.properties ?? {}).filter(([f]) => !checked || checked.includes(f))) {
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

  test("a JSON body sent as text/plain or as a form is refused by the model routes, unparsed", async () => {
    for (const op of withBodies.filter((o) => o.path.startsWith("/v1/"))) {
      await expectCleanRefusal(await send(op, JSON.stringify({ model: "gpt-fake", messages: [{ role: "user", content: HOSTILE_CANARY }] }), "text/plain"));
      await expectCleanRefusal(await send(op, `model=${HOSTILE_CANARY}&stream=yes`, "application/x-www-form-urlencoded"));
    }
    expect(target.fake.requests).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KEYS, startGateway, type Gateway } from "../helpers/gateway";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const post = (body: Record<string, unknown>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.user}` },
    body: JSON.stringify({ messages: [{ role: "user", content: "Say hello" }], ...body }),
  });

async function requestLine(id: string | null): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const line = gw.env.log.lines.map((l) => JSON.parse(l)).find((l) => l.event === "request" && l.id === id);
    if (line || Date.now() > deadline) return line;
    await Bun.sleep(10);
  }
}

describe("the request log line", () => {
  test("a stream's ms is its whole duration; the time to its headers is headers_ms", async () => {
    const res = await post({ model: "paced", stream: true });
    await res.text();
    const line = await requestLine(res.headers.get("x-request-id"));
    expect(line).toMatchObject({ route: "/v1/chat/completions", status: 200 });
    expect([typeof line.ms, typeof line.headers_ms]).toEqual(["number", "number"]);
    // `paced` sends its chunks 100 ms apart after the first: the body alone takes well over 500 ms.
    expect((line.ms as number) - (line.headers_ms as number)).toBeGreaterThan(500);
  });

  test("an answer that is not streamed has ms and no headers_ms", async () => {
    const res = await post({ model: "fine" });
    await res.text();
    const line = await requestLine(res.headers.get("x-request-id"));
    expect(line.ms).toEqual(expect.any(Number));
    expect(line).not.toHaveProperty("headers_ms");
  });
});

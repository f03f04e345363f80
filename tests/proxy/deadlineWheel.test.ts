import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { watched } from "../../src/lib/deadlineWheel";
import { KEYS, startGateway, type Gateway } from "../helpers/gateway";
import { openRawStream } from "../helpers/rawClient";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const auth = { authorization: `Bearer ${KEYS.user}` };
const chatBody = (model: string, stream: boolean) =>
  JSON.stringify({ model, stream, messages: [{ role: "user", content: "Say hello" }] });
const post = (model: string, stream: boolean) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: chatBody(model, stream),
  });

/** Wait (bounded) until no attempt is watched; the wheel is left alone by attempts that ended. */
async function settled(): Promise<number> {
  const until = Date.now() + 10_000;
  while (watched() > 0 && Date.now() < until) await Bun.sleep(20);
  return watched();
}

describe("one deadline wheel for all upstream attempts (issue 15)", () => {
  test("an open stream is watched; once JSON answers, streams, a client abort and an upstream error have ended, none is", async () => {
    const open = openRawStream(gw.url, "/v1/chat/completions", auth, chatBody("endless", true));
    await open.until((text) => (text.match(/"content":"/g) ?? []).length >= 2);
    expect(watched()).toBeGreaterThan(0);
    open.close();

    expect((await post("fine", false)).status).toBe(200);
    const streamed = await post("fine", true);
    await streamed.text();
    const failed = await post("fail-500", false);
    await failed.text();
    expect(await settled()).toBe(0);
  }, 30_000);
});

import { describe, expect, test } from "bun:test";
import net from "node:net";
import { PUBLIC_FORM_BYTES } from "../../src/http/body";
import { expectRawRefusal, HOSTILE_CANARY, rawExchange, type RawAnswer } from "../helpers/hostile";
import { makeAccount, makeKey } from "../helpers/identity";
import { serverPerTest } from "../helpers/serverPerTest";

const serve = serverPerTest();

/** The real server with a 1-second body deadline, and a key. */
async function target() {
  const server = await serve("body_timeout_s = 1\nmax_body_bytes = 1048576");
  const { key } = await makeKey(server.env.deps, (await makeAccount(server.env.deps, "slow@example.com")).id);
  return { ...server, key };
}

const head = (url: string, path: string, length: number, extra = "") =>
  `POST ${path} HTTP/1.1\r\nhost: ${new URL(url).host}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n${extra}\r\n`;

/**
 * Send `head`, then the body `piece` by `piece` every `everyMs` (never more than `length` bytes in
 * all), and collect the answer until the server closes or `waitMs` pass.
 */
function trickle(
  url: string,
  start: string,
  piece: string,
  everyMs: number,
  length: number,
  waitMs: number,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = "";
    let sent = 0;
    const timer = setInterval(() => {
      if (sent + piece.length > length) return;
      sent += piece.length;
      socket.write(piece);
    }, everyMs);
    const done = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(stop);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ text, status: status ? Number(status) : null, closed });
    };
    const stop = setTimeout(() => done(false), waitMs);
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (/\r\n\r\n/.test(text)) done(false);
    });
    socket.on("error", () => done(true));
    socket.on("close", () => done(true));
    socket.write(start);
  });
}

describe("§5 availability: bodies are read last, small where anyone may post, and within a deadline (issue #16 item 5)", () => {
  test("a caller without a credential gets 401 at once: its body is never waited for nor read", async () => {
    const { url } = await target();
    // Only the head is sent within the wait: a server that read bodies first would still be waiting.
    const answer = await trickle(
      url,
      head(url, "/v1/chat/completions", 900_000),
      `{"x":"${HOSTILE_CANARY}`,
      5_000,
      900_000,
      3_000,
    );
    expectRawRefusal(answer, [401]);
  });

  test("public routes take a few KB: a larger sign-in body is 413, declared or chunked; a normal one is accepted", async () => {
    const { url } = await target();
    const big = JSON.stringify({ email: "a@example.com", pad: "{}".repeat(PUBLIC_FORM_BYTES) });
    expectRawRefusal(
      await rawExchange(url, `${head(url, "/auth/login", Buffer.byteLength(big), "connection: close\r\n")}${big}`),
      [413],
    );
    const chunked = `POST /auth/login HTTP/1.1\r\nhost: ${new URL(url).host}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    expectRawRefusal(await rawExchange(url, chunked), [413], true);
    const small = JSON.stringify({ email: "a@example.com" });
    expect(
      (await rawExchange(url, `${head(url, "/auth/login", small.length, "connection: close\r\n")}${small}`)).status,
    ).toBe(202);
  });

  test.each([
    ["an authenticated model route", "/v1/chat/completions", true],
    ["a public route", "/auth/login", false],
  ])("a body still trickling in at server.body_timeout_s is cut with 408 (%s)", async (_, path, authenticated) => {
    const { url, key } = await target();
    const auth = authenticated ? `authorization: Bearer ${key}\r\n` : "";
    const answer = await trickle(url, head(url, path, 1_000, auth), "{", 100, 1_000, 5_000);
    expectRawRefusal(answer, [408]);
  });

  test("control: a slow body that completes within the deadline is served", async () => {
    const { url } = await target();
    const body = JSON.stringify({ email: "slow.but.fine@example.com" });
    const pieces = body.match(/.{1,8}/g)!;
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("latin1")));
    socket.write(head(url, "/auth/login", body.length, "connection: close\r\n"));
    for (const piece of pieces) {
      await Bun.sleep(60);
      socket.write(piece);
    }
    const deadline = Date.now() + 3_000;
    while (!/\r\n\r\n/.test(text) && Date.now() < deadline) await Bun.sleep(20);
    socket.destroy();
    expect(text).toStartWith("HTTP/1.1 202");
  });
});

import { afterEach, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { ResponseParser } from "../../bench/http1";
import { closedLoop, streams } from "../../bench/load";

const event = (n: number) => `data: {"n":${n}}\n\n`;
const chunked = (pieces: string[]) => pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("");
const HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

let listener: TCPSocketListener<undefined> | undefined;
afterEach(() => listener?.stop(true));

/** A raw server that answers a request with `writes`, a few ms apart, then keeps the connection or cuts it. */
function rawServer(writes: string[], cut: boolean): string {
  listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async data(socket) {
        for (const w of writes) {
          socket.write(w);
          await Bun.sleep(3);
        }
        if (cut) socket.end();
      },
    },
  });
  return `http://127.0.0.1:${listener.port}`;
}

const request = new TextEncoder().encode("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n");

describe("bench load generator", () => {
  test("counts every SSE event of a chunked stream, whatever the TCP and chunk boundaries", async () => {
    const body = chunked(Array.from({ length: 66 }, (_, n) => event(n))) + "0\r\n\r\n";
    // Split between the two newlines of events, inside chunk-size lines and inside the head.
    const writes = [HEAD.slice(0, 20), HEAD.slice(20) + body.slice(0, 17), ...body.slice(17).match(/[\s\S]{1,23}/g)!];
    const [result] = await streams(rawServer(writes, false), request, 1);
    expect(result!.status).toBe(200);
    expect(result!.events).toBe(66);
  });

  test("a stream cut mid-way ends with status 0 and only the events that arrived", async () => {
    const writes = [HEAD, chunked(Array.from({ length: 10 }, (_, n) => event(n)))];
    const [result] = await streams(rawServer(writes, true), request, 1);
    expect(result!.status).toBe(0);
    expect(result!.events).toBe(10);
  });

  test("parses content-length and chunked responses fed in arbitrary pieces", () => {
    const seen: Array<{ status: number; body: string }> = [];
    const parser = new ResponseParser();
    const wire = [
      "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
      `HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\n\r\n${chunked(["ab", "cde"])}0\r\n\r\n`,
    ];
    for (const response of wire) {
      let body = "";
      parser.expect({ body: (p) => (body += Buffer.from(p).toString()), end: (status) => seen.push({ status, body }) });
      for (let i = 0; i < response.length; i += 4) parser.feed(Buffer.from(response.slice(i, i + 4)));
    }
    expect(seen).toEqual([
      { status: 200, body: "hello" },
      { status: 429, body: "abcde" },
    ]);
  });

  test("closed loop counts answers and errors on keep-alive connections", async () => {
    let n = 0;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("ok", { status: n++ % 2 ? 200 : 503 }),
    });
    try {
      const run = await closedLoop(`http://127.0.0.1:${server.port}`, request, 2, 100);
      expect(run.ok).toBeGreaterThan(0);
      expect(Math.abs(run.ok - run.errors)).toBeLessThanOrEqual(2);
    } finally {
      await server.stop(true);
    }
  });
});

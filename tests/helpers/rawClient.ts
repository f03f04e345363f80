import net from "node:net";

export interface RawStream {
  /** Everything read so far (headers included), as text. */
  text(): string;
  bytes(): number;
  /** Resolve once the text read so far satisfies `done`; reject after `ms`. */
  until(done: (text: string) => boolean, ms?: number): Promise<void>;
  /** Stop reading from the socket: the kernel buffers fill and the sender must wait. */
  pause(): void;
  /** Drop the connection, as a client that goes away. */
  close(): void;
}

/** A bare HTTP/1.1 client on a TCP socket, so a test controls exactly when it reads and when it leaves. */
export function openRawStream(baseUrl: string, path: string, headers: Record<string, string>, body: string): RawStream {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect(Number(port), hostname);
  let text = "";
  let bytes = 0;
  socket.on("data", (data: Buffer) => {
    bytes += data.length;
    if (text.length < 1_000_000) text += data.toString("utf8");
  });
  socket.on("error", () => {});
  const head = Object.entries({
    host: `${hostname}:${port}`,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    ...headers,
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${body}`);
  return {
    text: () => text,
    bytes: () => bytes,
    async until(done, ms = 5_000) {
      const deadline = Date.now() + ms;
      while (!done(text)) {
        if (Date.now() > deadline) throw new Error(`raw client: condition not met within ${ms} ms`);
        await Bun.sleep(5);
      }
    },
    pause: () => socket.pause(),
    close: () => socket.destroy(),
  };
}

import type { Socket } from "bun";

/** What a response parser reports: the status, each decoded body piece, the end. */
export interface ResponseSink {
  head?(status: number): void;
  body?(piece: Uint8Array): void;
  /** Status 0: the connection was lost before the response ended. */
  end(status: number): void;
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");

type State = "head" | "length" | "size" | "data" | "data-crlf" | "trailer";

/**
 * An HTTP/1.1 response parser for keep-alive load: a content-length or chunked body, decoded
 * as it arrives. The harness reads only statuses, byte counts and timings, never what a body says
 * (except the upstream's own send stamps in the streaming scenario).
 */
export class ResponseParser {
  private state: State = "head";
  private pending: Buffer | null = null;
  private remaining = 0;
  private status = 0;
  private sink: ResponseSink | null = null;

  expect(sink: ResponseSink) {
    this.sink = sink;
    this.state = "head";
  }

  feed(input: Buffer) {
    const buf = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = null;
    let at = 0;
    while (at < buf.length && this.sink) {
      if (this.state === "length" || this.state === "data") {
        const n = Math.min(this.remaining, buf.length - at);
        this.sink.body?.(buf.subarray(at, at + n));
        at += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          if (this.state === "length") this.finish();
          else this.state = "data-crlf";
        }
        continue;
      }
      const terminator = this.state === "head" ? HEAD_END : CRLF;
      const end = buf.indexOf(terminator, at);
      if (end < 0) {
        this.pending = buf.subarray(at);
        return;
      }
      const line = buf.toString("latin1", at, end);
      at = end + terminator.length;
      if (this.state === "head") this.onHead(line);
      else if (this.state === "size") this.onSize(line);
      else if (this.state === "data-crlf") this.state = "size";
      else if (line === "") this.finish();
    }
  }

  /** The connection went away: a response in progress ends with status 0 (cut). */
  abandon() {
    this.pending = null;
    this.status = 0;
    if (this.sink) this.finish();
  }

  private onHead(head: string) {
    this.status = Number(head.slice(9, 12));
    this.sink!.head?.(this.status);
    const lower = head.toLowerCase();
    if (lower.includes("\r\ntransfer-encoding: chunked")) {
      this.state = "size";
      return;
    }
    const match = /\r\ncontent-length: *(\d+)/.exec(lower);
    this.remaining = match ? Number(match[1]) : 0;
    this.state = "length";
    if (this.remaining === 0) this.finish();
  }

  private onSize(line: string) {
    this.remaining = parseInt(line, 16);
    this.state = this.remaining === 0 ? "trailer" : "data";
  }

  private finish() {
    const sink = this.sink!;
    this.sink = null;
    this.state = "head";
    sink.end(this.status);
  }
}

/** One keep-alive HTTP/1.1 connection on a raw TCP socket: one request in flight at a time. */
export class Connection {
  private readonly parser = new ResponseParser();
  private socket!: Socket<undefined>;
  private unsent: Uint8Array | null = null;
  closed = false;

  static async open(url: string): Promise<Connection> {
    const { hostname, port } = new URL(url);
    const conn = new Connection();
    conn.socket = await Bun.connect({
      hostname,
      port: Number(port),
      socket: {
        data: (_s, data) => conn.parser.feed(data),
        drain: (s) => conn.flushUnsent(s),
        close: () => conn.lost(),
        error: () => conn.lost(),
      },
    });
    conn.socket.setNoDelay(true);
    return conn;
  }

  /** Send one whole request; `sink` hears its response. */
  send(request: Uint8Array, sink: ResponseSink) {
    if (this.closed) return sink.end(0);
    this.parser.expect(sink);
    const written = this.socket.write(request);
    if (written < request.length) this.unsent = request.subarray(Math.max(0, written));
  }

  /** Stop (or restart) reading: the kernel buffers fill and the sender has to wait. */
  pause() {
    this.socket.pause();
  }

  resume() {
    this.socket.resume();
  }

  close() {
    if (!this.closed) this.socket.end();
    this.closed = true;
  }

  private flushUnsent(s: Socket<undefined>) {
    if (!this.unsent) return;
    const written = s.write(this.unsent);
    this.unsent = written < this.unsent.length ? this.unsent.subarray(Math.max(0, written)) : null;
  }

  private lost() {
    this.closed = true;
    this.parser.abandon();
  }
}

/** The bytes of one POST with a JSON body, built once and sent many times. */
export function postRequest(url: string, path: string, headers: Record<string, string>, body: string): Uint8Array {
  const { host } = new URL(url);
  const bytes = Buffer.from(body);
  const lines = Object.entries({
    host,
    "content-type": "application/json",
    "content-length": String(bytes.length),
    ...headers,
  }).map(([k, v]) => `${k}: ${v}\r\n`);
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\n${lines.join("")}\r\n`), bytes]);
}

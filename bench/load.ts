import { Connection, type ResponseSink } from "./http1";

/**
 * The load generator: raw keep-alive HTTP/1.1 over TCP (no client library between the socket
 * and the clock), one request in flight per connection, as wrk does. Bodies are counted and
 * timed, never kept.
 */

const NL = 10;
const EVENT_END = Buffer.from("\n\n");
const wallNow = () => performance.timeOrigin + performance.now();

/** The most streams that were relaying at one instant (from first event to end). */
export function inFlightTogether(results: readonly StreamResult[]): number {
  const edges = results.filter((r) => r.events > 0).flatMap((r) => [[r.firstAt, 1] as const, [r.endAt, -1] as const]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (now += step));
  return most;
}

/** Open `n` connections, a batch at a time so the listener's accept backlog never overflows. */
export async function connectMany(url: string, n: number, batch = 200): Promise<Connection[]> {
  const conns: Connection[] = [];
  for (let i = 0; i < n; i += batch)
    conns.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => Connection.open(url)))));
  return conns;
}

export interface LoopResult {
  ok: number;
  errors: number;
  seconds: number;
  rps: number;
}

/** Closed loop: every connection sends the next request as soon as its answer ends, for `ms`. */
export async function closedLoop(
  url: string,
  request: Uint8Array,
  connections: number,
  ms: number,
): Promise<LoopResult> {
  const conns = await connectMany(url, connections);
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    conns.map(
      (conn) =>
        new Promise<void>((resolve) => {
          const sink: ResponseSink = {
            end(status) {
              if (status === 200) ok++;
              else errors++;
              if (status === 0 || performance.now() >= until) return resolve();
              conn.send(request, sink);
            },
          };
          conn.send(request, sink);
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const conn of conns) conn.close();
  return { ok, errors, seconds, rps: ok / seconds };
}

/** Concurrency 1: each request's latency in ms, one after another on one connection, for `ms`. */
export async function latencies(
  url: string,
  request: Uint8Array,
  ms: number,
): Promise<{ samples: number[]; errors: number }> {
  const [conn] = await connectMany(url, 1);
  const samples: number[] = [];
  let errors = 0;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const sent = performance.now();
    const status = await new Promise<number>((resolve) => conn!.send(request, { end: resolve }));
    if (status !== 200) errors++;
    else samples.push(performance.now() - sent);
    if (status === 0) break;
  }
  conn!.close();
  return { samples, errors };
}

export interface StreamResult {
  status: number;
  /** SSE events received (each ends in a blank line). */
  events: number;
  /** Request sent → first event, ms. */
  firstMs: number;
  /** performance.now() at the first event and at the end of the response. */
  firstAt: number;
  endAt: number;
  /** The longest wait between two events, ms. */
  maxGapMs: number;
  /** With `stamps`: for each stamped event, [arrival, upstream send], both wall-clock ms. */
  stamps: Array<[number, number]>;
  /** With `stamps`: request sent → request received by the upstream, ms (wall clocks of two processes). */
  toUpstreamMs: number;
}

/**
 * Watches one SSE response: counts events as their blank lines arrive and times the gaps
 * between them. With `stamps` it also reads the upstream's `sent` stamp of each event.
 */
export class StreamWatch implements ResponseSink {
  readonly result: StreamResult = {
    status: -1,
    events: 0,
    firstMs: Number.NaN,
    firstAt: Number.NaN,
    endAt: Number.NaN,
    maxGapMs: 0,
    stamps: [],
    toUpstreamMs: Number.NaN,
  };
  readonly done: Promise<StreamResult>;
  private settle!: (r: StreamResult) => void;
  private sentAt = 0;
  private sentWall = 0;
  private lastAt = 0;
  private endsWithNl = false;
  private text = "";

  constructor(private readonly stamps = false) {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  start(conn: Connection, request: Uint8Array) {
    this.sentAt = performance.now();
    this.sentWall = wallNow();
    conn.send(request, this);
  }

  body(piece: Uint8Array) {
    const now = performance.now();
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    let found = this.endsWithNl && buf[0] === NL ? 1 : 0;
    for (let i = buf.indexOf(EVENT_END); i >= 0; i = buf.indexOf(EVENT_END, i + 2)) found++;
    this.endsWithNl = buf[buf.length - 1] === NL;
    if (found > 0) {
      const r = this.result;
      if (r.events === 0) {
        r.firstAt = now;
        r.firstMs = now - this.sentAt;
      } else r.maxGapMs = Math.max(r.maxGapMs, now - this.lastAt);
      r.events += found;
      this.lastAt = now;
    }
    if (this.stamps) this.readStamps(buf.toString("utf8"));
  }

  end(status: number) {
    this.result.status = status;
    this.result.endAt = performance.now();
    this.settle(this.result);
  }

  private readStamps(text: string) {
    const arrived = wallNow();
    const events = (this.text + text).split("\n\n");
    this.text = events.pop()!;
    for (const event of events) {
      const stamp = /"sent":([\d.]+),"received":([\d.]+)/.exec(event);
      if (!stamp) continue;
      if (this.result.stamps.length === 0) this.result.toUpstreamMs = Number(stamp[2]) - this.sentWall;
      this.result.stamps.push([arrived, Number(stamp[1])]);
    }
  }
}

/**
 * `n` concurrent streams: connect them all, then start them 100 every 10 ms (as clients arrive,
 * not in one instant: 5,000 streams start within half a second, well inside one stream's 1.3 s),
 * and wait for every one to end.
 */
export async function streams(
  url: string,
  request: Uint8Array,
  n: number,
  opts: { stamps?: boolean; during?: () => void } = {},
): Promise<StreamResult[]> {
  const conns = await connectMany(url, n);
  const watches = conns.map(() => new StreamWatch(opts.stamps));
  for (let i = 0; i < n; i += 100) {
    for (let j = i; j < Math.min(n, i + 100); j++) watches[j]!.start(conns[j]!, request);
    await Bun.sleep(10);
  }
  const sampler = opts.during ? setInterval(opts.during, 100) : undefined;
  const results = await Promise.all(watches.map((w) => w.done));
  clearInterval(sampler);
  for (const conn of conns) conn.close();
  return results;
}

/**
 * `n` clients that read at most `bytesPerSecond` each: after each read the socket is paused until
 * the bytes read so far are paid for at that rate. Runs for `ms`; returns the bytes consumed in all.
 */
export async function slowReaders(
  url: string,
  request: Uint8Array,
  n: number,
  bytesPerSecond: number,
  ms: number,
  during?: (elapsedMs: number) => void,
): Promise<number> {
  const conns = await connectMany(url, n);
  let consumed = 0;
  const timers = new Map<Connection, ReturnType<typeof setTimeout>>();
  for (const conn of conns) {
    let readyAt = performance.now();
    conn.send(request, {
      body(piece) {
        consumed += piece.length;
        const now = performance.now();
        readyAt = Math.max(readyAt, now) + (piece.length / bytesPerSecond) * 1000;
        conn.pause();
        clearTimeout(timers.get(conn));
        timers.set(
          conn,
          setTimeout(() => conn.resume(), readyAt - now),
        );
      },
      end() {},
    });
  }
  const started = performance.now();
  const sampler = during ? setInterval(() => during(performance.now() - started), 250) : undefined;
  await Bun.sleep(ms);
  clearInterval(sampler);
  for (const timer of timers.values()) clearTimeout(timer);
  for (const conn of conns) conn.close();
  return consumed;
}

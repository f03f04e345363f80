import type { Machine } from "./machine";
import type { HotSpot } from "./profile";
import type { ConcurrencyResult } from "./scenarios/concurrency";
import type { LatencyResult } from "./scenarios/latency";
import type { ProfileResult } from "./scenarios/profile";
import type { SlowReaderRun, SlowReadersResult } from "./scenarios/slowReaders";
import type { StreamingResult } from "./scenarios/streaming";
import type { ThroughputResult } from "./scenarios/throughput";
import type { UsageWriterResult } from "./scenarios/usageWriter";
import type { WorkersResult } from "./scenarios/workers";
import { FLOOD_BYTES, PACE_MS, STREAM_CHUNKS } from "./shape";
import { mb } from "./stats";

export interface BenchResults {
  machine: Machine;
  date: string;
  wallSeconds: number;
  /** Share of the machine's CPU used by other processes during the run, 0..1. */
  foreignCpu: number;
  latency: LatencyResult;
  throughput: ThroughputResult;
  streaming: StreamingResult;
  concurrency: ConcurrencyResult;
  slowReaders: SlowReadersResult;
  workers: WorkersResult;
  writer: UsageWriterResult;
  profile: ProfileResult;
}

export interface Goal {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

const ms = (v: number) => `${v.toFixed(3)} ms`;
const int = (v: number) => Math.round(v).toLocaleString("en-US");
const mib = (v: number) => `${mb(v).toFixed(1)} MB`;
const GW = "kriora";
const PORTKEY = "portkey";

/** The figures on which Kriora is behind Portkey's gateway, each with both values. */
function behindPortkey(r: BenchResults): string[] {
  const lat = r.latency.byTarget;
  const tp = r.throughput.byTarget;
  const st = r.streaming.byTarget;
  const at1k = (t: string) => r.concurrency.rungs.find((x) => x.target === t && x.streams === 1_000)?.peakRss ?? null;
  const lower = (name: string, k: number, p: number, show: (v: number) => string) =>
    k <= p ? [] : [`${name} ${show(k)} vs ${show(p)}`];
  const rss = [at1k(GW), at1k(PORTKEY)] as const;
  return [
    ...lower("latency p50", lat[GW]!.p50, lat[PORTKEY]!.p50, ms),
    ...lower("latency p99", lat[GW]!.p99, lat[PORTKEY]!.p99, ms),
    ...lower("throughput", -tp[GW]!.rps, -tp[PORTKEY]!.rps, (v) => `${int(-v)} req/s`),
    ...lower("first chunk p50", st[GW]!.ttfcP50, st[PORTKEY]!.ttfcP50, ms),
    ...lower("gap jitter p99", st[GW]!.jitterP99, st[PORTKEY]!.jitterP99, ms),
    ...lower("concurrent streams", -r.concurrency.best[GW]!, -r.concurrency.best[PORTKEY]!, (v) => int(-v)),
    ...(rss[0] !== null && rss[1] !== null ? lower("peak RSS at 1,000 streams", rss[0], rss[1], mib) : []),
  ];
}

/** Every goal of the performance issues (#9, #15) and the metering issue's writer goals, measured. */
export function goals(r: BenchResults): Goal[] {
  const lat = r.latency.byTarget;
  const tp = r.throughput.byTarget;
  const st = r.streaming.byTarget;
  const { rss, best } = r.concurrency;
  const addedP50 = lat[GW]!.p50 - lat.direct!.p50;
  const addedP99 = lat[GW]!.p99 - lat.direct!.p99;
  const vsBare = tp[GW]!.rps / tp["bare proxy"]!.rps;
  const addedTtfc = st[GW]!.ttfcP50 - st.direct!.ttfcP50;
  const addedGap = st[GW]!.jitterP99 - st.direct!.jitterP99;
  const per1k = rss.at1k > 0 ? rss.at1k - rss.idle : Number.NaN;
  const slow = r.slowReaders.byTarget[GW]!;
  const behind = behindPortkey(r);
  return [
    { name: "Added latency p50 (c=1)", goal: "≤ 0.25 ms", measured: ms(addedP50), met: addedP50 <= 0.25 },
    { name: "Added latency p99 (c=1)", goal: "≤ 1 ms", measured: ms(addedP99), met: addedP99 <= 1 },
    {
      name: `Throughput, ${r.throughput.connections} connections`,
      goal: "≥ 0.6× bare proxy",
      measured: `${vsBare.toFixed(2)}× bare (${(tp[GW]!.rps / tp.direct!.rps).toFixed(2)}× direct)`,
      met: vsBare >= 0.6,
    },
    { name: "Added time to first chunk", goal: "≤ 0.5 ms", measured: ms(addedTtfc), met: addedTtfc <= 0.5 },
    { name: "Added inter-chunk gap p99", goal: "≤ 0.1 ms", measured: ms(addedGap), met: addedGap <= 0.1 },
    {
      name: "Concurrent streams (all relaying at once, no loss, no gap > 10× pace)",
      goal: "≥ 4,000",
      measured: int(best[GW]!),
      met: best[GW]! >= 4_000,
    },
    {
      name: `RSS per 1,000 streams (${r.concurrency.rssOf})`,
      goal: "≤ 10 MB",
      measured: Number.isNaN(per1k) ? "not reached" : mib(per1k),
      met: per1k <= 10 * 2 ** 20,
    },
    {
      name: `Idle RSS after start (${r.concurrency.rssOf})`,
      goal: "≤ 60 MB",
      measured: mib(rss.idle),
      met: rss.idle <= 60 * 2 ** 20,
    },
    {
      name: `RSS after the 1,000 streams end (${r.concurrency.rssOf})`,
      goal: "within 10% of idle",
      measured:
        rss.after1k > 0
          ? `${mib(rss.after1k)} (idle ${mib(rss.idle)}, ${pctOver(rss.after1k, rss.idle)})`
          : "not reached",
      met: rss.after1k > 0 && rss.after1k <= rss.idle * 1.1,
    },
    {
      name: `${r.slowReaders.readers} slow readers at ${r.slowReaders.bytesPerSecond / 1024} KB/s`,
      goal: "RSS bounded",
      measured: `+${mib(slow.firstHalfRss - slow.idleRss)}, then +${mib(slow.secondHalfRss - slow.idleRss)}; upstream held back at ${mib(slow.produced)} of ${mib(r.slowReaders.readers * FLOOD_BYTES)}`,
      met: slow.bounded,
    },
    {
      name: "Portkey's gateway (npm, on Bun) in the same tables",
      goal: "Kriora ahead on every figure",
      measured: behind.length === 0 ? "ahead on all" : `behind on ${behind.join("; ")}`,
      met: behind.length === 0,
    },
    {
      name: "Usage writer throughput",
      goal: "≥ 20,000 rows/s",
      measured: `${int(r.writer.rowsPerSecond)} rows/s`,
      met: r.writer.rowsPerSecond >= 20_000,
    },
    {
      name: "Usage writer cost on the request path",
      goal: "≤ 10 µs/request",
      measured: `${r.writer.recordMicros.toFixed(2)} µs`,
      met: r.writer.recordMicros <= 10,
    },
  ];
}

function pctOver(v: number, base: number): string {
  const p = (100 * (v - base)) / base;
  return `${p >= 0 ? "+" : ""}${p.toFixed(0)}%`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const spotRows = (spots: HotSpot[]) => spots.map((s) => [`\`${s.where}\``, `${s.selfPct}%`, `${s.totalPct}%`]);

/** The share of the profiled gateway's CPU spent with `fn` on the stack, %, or 0 when it is not among the rows. */
function stackShare(p: ProfileResult, fn: string): number {
  return p.inclusive.find((s) => s.where.startsWith(fn))?.totalPct ?? 0;
}

/** One line per missed goal: what the measurements say bounds it. */
function bounds(r: BenchResults, missed: Goal[]): string[] {
  const p = r.profile;
  const w = r.writer;
  const st = r.streaming.byTarget;
  const lat = r.latency.byTarget;
  const { rss } = r.concurrency;
  const flushShare = stackShare(p, "writeSlice (src/usage/writer.ts");
  const flushMs = (rows: number) => (rows / w.flushRowsPerSecond) * 1000;
  const writerFacts = `a flush of ${w.batch} rows takes ${ms(flushMs(w.batch))} on average (longest ${ms(w.maxFlushMs)}) and runs synchronously on the server's one thread; its timer drains the queue in slices, and draining ${w.batch} rows held the loop at most ${ms(w.longestHoldMs)} at a time`;
  const added = (t: string, field: "toUpstreamP50" | "firstChunkP50" | "chunkDelayP50") =>
    ms(st[t]![field] - st.direct![field]);
  const line = (g: Goal, text: string) => `- **${g.name}** (${g.measured}): ${text}`;
  return missed.map((g) => {
    if (g.name.startsWith("Added latency p50")) {
      const tp = r.throughput.byTarget;
      return line(
        g,
        `every request pays Kriora's own work before and after the upstream call: ${int(tp[GW]!.proxyMicrosPerRequest)} µs of CPU per request against the bare proxy's ` +
          `${int(tp["bare proxy"]!.proxyMicrosPerRequest)} µs under load (scenario 2; where it goes is in the profile below).`,
      );
    }
    if (g.name.startsWith("Added latency p99")) {
      const rate = lat[GW]!.n / r.latency.seconds;
      return line(
        g,
        `the usage writer flushes every 100 ms on the event loop — ${writerFacts}. At concurrency 1 Kriora served ${int(rate)} req/s, ` +
          `so each flush writes ~${int(rate / 10)} rows and holds the loop ~${ms(Math.min(flushMs(rate / 10), w.longestHoldMs))}, and the request that arrives meanwhile waits; ` +
          `with 64 connections the flush is ${flushShare}% of Kriora's CPU (profile below).`,
      );
    }
    if (g.name.startsWith("Throughput")) {
      const gw = r.throughput.byTarget[GW]!;
      const bare = r.throughput.byTarget["bare proxy"]!;
      const us = (fn: string) => `${int((stackShare(p, fn) * gw.proxyMicrosPerRequest) / 100)} µs`;
      return line(
        g,
        `Kriora ran at ${int(gw.cpu.proxy)}% of a core and spent ${int(gw.proxyMicrosPerRequest)} µs of CPU per request, the bare proxy ${int(bare.proxyMicrosPerRequest)} µs ` +
          `(${(gw.proxyMicrosPerRequest / bare.proxyMicrosPerRequest).toFixed(1)}×): its own per-request work bounds it. Per request, from the profile's time on the stack: ` +
          `upstream call ${us("callUpstream (")}, usage writer flush ${us("writeSlice (src/usage/writer.ts")}, response and metering ${us("respond (src/proxy/relay.ts")}, ` +
          `admission ${us("(anonymous) (src/limits/admission.ts")} (of it the abuse check's address HMAC ${us("keyUsed (src/limits/abuse.ts")}), ` +
          `authentication ${us("authenticate (")}, request id, headers and address ${us("(anonymous) (src/http/app.ts")}.`,
      );
    }
    if (g.name.startsWith("Added time to first chunk")) {
      return line(
        g,
        `${added(GW, "toUpstreamP50")} of it is before the upstream receives the request (Elysia, authentication, admission, routing, body rewrite; ` +
          `the bare proxy adds ${added("bare proxy", "toUpstreamP50")}) and ${added(GW, "firstChunkP50")} relaying the first chunk (bare proxy ${added("bare proxy", "firstChunkP50")}). ` +
          `Streams come 1.3 s apart, so each one meets an idle process: direct's own first chunk takes ${ms(st.direct!.ttfcP50)} against a ${ms(lat.direct!.p50)} back-to-back round trip.`,
      );
    }
    if (g.name.startsWith("Added inter-chunk")) {
      return line(
        g,
        `each chunk is pulled through the relay's ReadableStream and the SSE side-parser; its one-way delay (upstream send → client) is ${ms(st[GW]!.chunkDelayP50)} p50 through Kriora, ` +
          `${ms(st["bare proxy"]!.chunkDelayP50)} through the bare proxy, ${ms(st.direct!.chunkDelayP50)} direct. One stream writes one usage row, so flushes are not the cause here.`,
      );
    }
    if (g.name.startsWith("Concurrent streams")) {
      const failed = r.concurrency.rungs.find((x) => x.target === GW && !x.passed);
      const direct = failed && r.concurrency.rungs.find((x) => x.target === "direct" && x.streams === failed.streams);
      return line(
        g,
        (failed
          ? `Kriora failed at ${int(failed.streams)} streams (${failed.together} relaying together, ${failed.lost} events lost, ${failed.cut} cut, ${failed.stalls} stalls, longest gap ${ms(failed.maxGapMs)})`
          : "Kriora passed every rung") +
          (direct
            ? `; direct's own longest gap at that rung was ${ms(direct.maxGapMs)} of the ${ms(10 * PACE_MS)} budget, with the generator, the upstream and Kriora on ${r.machine.cores} cores`
            : "") +
          `${r.concurrency.fdCap < 5_000 ? `; open-file limits cap the ladder at ${int(r.concurrency.fdCap)}` : ""}.`,
      );
    }
    if (g.name.startsWith("RSS per 1,000")) {
      const bare = r.concurrency.rungs.find((x) => x.target === "bare proxy" && x.streams === 1_000);
      return line(
        g,
        `it peaked at ${mib(rss.at1k)} from ${mib(rss.idle)} idle; the bare proxy peaked at ${bare?.peakRss ? mib(bare.peakRss) : "—"} with the same 1,000 streams. ` +
          "Measured with `bun:jsc` heapStats at 500 streams: each stream whose upstream body is read from JS holds a ~64 KB buffer that Bun allocates for the pending read " +
          "(33 MB of extra memory for 500 streams, the same whether the relay pulls, writes a direct stream, uses readMany or pipeThrough); only a body passed through untouched, " +
          "as the bare proxy does, avoids it, and metering needs to see the bytes. The JS heap returns to its idle size after the streams end.",
      );
    }
    if (g.name.startsWith("RSS after")) {
      return line(
        g,
        `10 s after the 1,000 streams ended RSS was ${mib(rss.after1k)}; after the whole ladder and another wait it was ${mib(rss.afterAll)} (idle ${mib(rss.idle)}).`,
      );
    }
    if (g.name.includes("slow readers")) {
      const bare = r.slowReaders.byTarget["bare proxy"]!;
      const gw = r.slowReaders.byTarget[GW]!;
      const per = (x: SlowReaderRun) => mib((x.secondHalfRss - x.idleRss) / r.slowReaders.readers);
      return line(
        g,
        `Kriora held ${per(gw)} per slow reader, the bare proxy ${per(bare)}; the upstream produced ${mib(gw.produced)} for Kriora and ${mib(bare.produced)} for the bare proxy.`,
      );
    }
    const drizzle = p.origins.find((o) => o.origin === "drizzle-orm")?.selfPct ?? 0;
    return line(
      g,
      `${writerFacts}. Under load the flush is ${flushShare}% of Kriora's CPU (${drizzle}% self time in drizzle-orm); see the profile's \`src/usage/writer.ts\` rows.`,
    );
  });
}

/** bench/README.md: the machine, the goals table, what bounds each miss, then every scenario's numbers. */
export function renderReport(r: BenchResults): string {
  const all = goals(r);
  const missed = all.filter((g) => !g.met);
  const lat = r.latency.byTarget;
  const tp = r.throughput.byTarget;
  const st = r.streaming.byTarget;
  const targets = Object.keys(lat);
  const m = r.machine;
  return `# Benchmarks

Written by \`npm run bench\` (\`bun bench/run.ts\`) on every run; do not edit by hand.

Kriora runs as a user runs it (\`kriora serve\`, its own process) with **auth, limits and metering on**:
a real \`kr_…\` key from \`kriora keys issue\`, rpm/tpm/concurrency limits set (high enough not to refuse),
usage rows written to SQLite. It is measured against the same fake upstream reached **direct** and
through a **bare proxy** (a few lines of \`Bun.serve\` + \`fetch\`) and through **Portkey's gateway**
(\`@portkey-ai/gateway\` from npm, its Node build run on Bun, headless, the upstream as an OpenAI custom host;
it authenticates, limits and meters nothing), interleaved in one run so machine noise hits all four alike. The load generator (\`bench/load.ts\`) speaks HTTP/1.1 on raw keep-alive sockets.

- Date: ${r.date}
- Machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGb} GB RAM, ${m.kernel}
- Bun ${m.bun}
- Other processes used ${(r.foreignCpu * 100).toFixed(0)}% of the machine's CPU during the run (others' test suites share it).
- Whole run: ${r.wallSeconds.toFixed(0)} s

## Goals

${table(
  ["goal", "target", "measured", ""],
  all.map((g) => [g.name, g.goal, g.measured, g.met ? "met" : "**missed**"]),
)}

## What bounds the missed goals

${missed.length === 0 ? "Every goal was met." : bounds(r, missed).join("\n")}

## 1. Latency at concurrency 1 (instant JSON, ~1.4 KB)

${table(
  ["path", "p50", "p99", "requests", "errors"],
  targets.map((t) => [t, ms(lat[t]!.p50), ms(lat[t]!.p99), int(lat[t]!.n), lat[t]!.errors]),
)}

## 2. Throughput at ${r.throughput.connections} connections (instant JSON)

${table(
  [
    "path",
    "req/s (median)",
    "rounds",
    "errors",
    "vs direct",
    "CPU: generator / upstream / proxy",
    "proxy CPU per request",
  ],
  targets.map((t) => [
    t,
    int(tp[t]!.rps),
    tp[t]!.rounds.map(int).join(", "),
    tp[t]!.errors,
    `${(tp[t]!.rps / tp.direct!.rps).toFixed(2)}×`,
    `${int(tp[t]!.cpu.generator)}% / ${int(tp[t]!.cpu.upstream)}% / ${int(tp[t]!.cpu.proxy)}%`,
    t === "direct" ? "—" : `${int(tp[t]!.proxyMicrosPerRequest)} µs`,
  ]),
)}

Direct is the load generator's own ceiling with the upstream: when it is well above the bare proxy,
the generator is not what bounds the proxies. CPU is % of one core over the rounds; a proxy near
100% is bound by its own work, and its CPU per request is the number to compare.

## 3. Streaming at concurrency 1 (${STREAM_CHUNKS} chunks, ${PACE_MS} ms apart)

${table(
  [
    "path",
    "streams",
    "first chunk p50",
    "of it: request → upstream",
    "of it: first chunk → client",
    "chunk delay p50",
    "gap p99",
    "gap jitter p99",
    "incomplete",
  ],
  targets.map((t) => [
    t,
    st[t]!.streams,
    ms(st[t]!.ttfcP50),
    ms(st[t]!.toUpstreamP50),
    ms(st[t]!.firstChunkP50),
    ms(st[t]!.chunkDelayP50),
    ms(st[t]!.gapP99),
    ms(st[t]!.jitterP99),
    st[t]!.incomplete,
  ]),
)}

Every chunk carries the upstream's clock when it received the request and when it sent the chunk;
chunk delay is upstream send → client for every chunk. Gap jitter is each received gap minus the upstream's own gap between the same two chunks, so the
upstream's timer noise cancels out; the two parts of the first-chunk time show whether a path adds
its time before the upstream is called or while relaying.

## 4. Concurrent streams

${table(
  [
    "path",
    "streams",
    "passed",
    "relaying at once",
    "events lost",
    "cut",
    "gaps > 10× pace",
    "longest gap",
    "first chunk p50",
    "peak RSS",
  ],
  r.concurrency.rungs.map((x) => [
    x.target,
    int(x.streams),
    x.passed ? "yes" : "**no**",
    int(x.together),
    x.lost,
    x.cut,
    x.stalls,
    ms(x.maxGapMs),
    ms(x.ttfcP50),
    x.peakRss === null ? "—" : mib(x.peakRss),
  ]),
)}

Bun's \`fetch\` runs at most 256 requests at once unless \`BUN_CONFIG_MAX_HTTP_REQUESTS\` is in the environment
when the process starts (setting it from code later has no effect). Kriora runs as \`npm start\` runs it and
the bare proxy likewise, both with it set to 65336. A rung passes only if every stream was relaying at the same
instant: streams queued behind the limit get their first chunk one whole stream (1.3 s) later.

RSS of ${r.concurrency.rssOf}: idle ${mib(r.concurrency.rss.idle)}, peak at 1,000 streams ${r.concurrency.rss.at1k ? mib(r.concurrency.rss.at1k) : "—"}, after they ended ${mib(r.concurrency.rss.after1k)}, after the whole ladder ${mib(r.concurrency.rss.afterAll)}.
The ladder is capped at ${int(r.concurrency.fdCap)} streams by the open-file limits (each Kriora stream holds two sockets).

## 5. Slow readers

${r.slowReaders.readers} clients each read a ${mib(FLOOD_BYTES)} stream of 16 KB events at ${r.slowReaders.bytesPerSecond / 1024} KB/s for ${r.slowReaders.seconds} s.

${table(
  [
    "proxy",
    "RSS before",
    "peak, first half",
    "peak, second half",
    "per reader",
    "upstream produced",
    "clients read",
    "bounded",
  ],
  Object.entries(r.slowReaders.byTarget).map(([t, s]) => [
    t,
    mib(s.idleRss),
    mib(s.firstHalfRss),
    mib(s.secondHalfRss),
    mib((s.secondHalfRss - s.idleRss) / r.slowReaders.readers),
    mib(s.produced),
    mib(s.consumed),
    s.bounded ? "yes" : "**no**",
  ]),
)}

Bounded means backpressure reached the upstream (it produced less than half of what it offered)
and RSS stopped growing (second-half peak within 10% of the first half's growth). What the upstream
produced and the clients did not read sits in the kernel's socket buffers on the way and in the
proxy's per-connection buffers, which the "per reader" column shows.

## Two workers against one (\`kriora serve --workers 2\`)

${table(
  ["serving processes", "req/s (median)", "rounds", "errors"],
  [
    ["1", int(r.workers.one.rps), r.workers.one.rounds.map(int).join(", "), r.workers.one.errors],
    ["2", int(r.workers.two.rps), r.workers.two.rounds.map(int).join(", "), r.workers.two.errors],
  ],
)}

${r.workers.connections} connections, instant JSON, rounds interleaved: 2 workers served ${(r.workers.two.rps / r.workers.one.rps).toFixed(2)}× what 1 did.
The load generator and the fake upstream run on the same 2 cores, so the second worker competes with
them for CPU; on a host where the gateway has its cores to itself the gain is larger.

## 6. Usage writer (in-process, as \`openDeps\` wires it)

${table(
  [
    "rows",
    "batch",
    "rows/s (record + flush)",
    "rows/s (flush only)",
    "record() per request",
    "longest flush()",
    "longest hold, drained by its timer",
    "rows in usage_events",
  ],
  [
    [
      int(r.writer.rows),
      r.writer.batch,
      int(r.writer.rowsPerSecond),
      int(r.writer.flushRowsPerSecond),
      `${r.writer.recordMicros.toFixed(2)} µs`,
      ms(r.writer.maxFlushMs),
      ms(r.writer.longestHoldMs),
      int(r.writer.written),
    ],
  ],
)}

## Profile of Kriora under the throughput load

\`bun --cpu-prof\` on a second gateway driven by ${r.profile.connections} connections: ${int(r.profile.rps)} req/s, ${r.profile.busyPct}% of one core sampled.
Self is time in the function itself; stack is time with it anywhere on the stack.

Self time by origin: ${r.profile.origins.map((o) => `${o.origin} ${o.selfPct}%`).join(", ")}.

${table(["function (self time)", "self", "stack"], spotRows(r.profile.self))}

${table(["Kriora function (time on the stack)", "self", "stack"], spotRows(r.profile.inclusive))}
`;
}

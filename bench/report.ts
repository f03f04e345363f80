import type { Machine } from "./machine";
import type { HotSpot } from "./profile";
import type { ConcurrencyResult } from "./scenarios/concurrency";
import type { ChunkCpuResult } from "./scenarios/chunkCpu";
import type { GcPausesResult } from "./scenarios/gcPauses";
import { BINARY, type IdleResult } from "./scenarios/idle";
import type { LatencyResult } from "./scenarios/latency";
import { PG, PG_ONLY, type PostgresRedisResult, type PostgresRedisRun } from "./scenarios/postgresRedis";
import type { ProfileResult } from "./scenarios/profile";
import type { SlowReaderRun, SlowReadersResult } from "./scenarios/slowReaders";
import type { StreamingResult } from "./scenarios/streaming";
import type { ThroughputResult } from "./scenarios/throughput";
import type { UsageWriterResult } from "./scenarios/usageWriter";
import type { WorkersResult } from "./scenarios/workers";
import { FLOOD_BYTES, PACE_MS, STREAM_CHUNKS } from "./shape";
import { censusText, type SoakResult } from "./soakResult";
import { mb, quantile } from "./stats";

export interface BenchResults {
  machine: Machine;
  date: string;
  wallSeconds: number;
  /** Share of the machine's CPU used by other processes during the run, 0..1. */
  foreignCpu: number;
  idle: IdleResult;
  latency: LatencyResult;
  throughput: ThroughputResult;
  streaming: StreamingResult;
  chunkCpu: ChunkCpuResult;
  concurrency: ConcurrencyResult;
  slowReaders: SlowReadersResult;
  workers: WorkersResult;
  writer: UsageWriterResult;
  profile: ProfileResult;
  /** The same under paced streams: where the per-chunk CPU goes. */
  streamProfile: ProfileResult;
  gcPauses: GcPausesResult;
  postgresRedis: PostgresRedisResult;
  /** The last `npm run bench:soak` (bench/soak.json), if one has run. */
  soak: SoakResult | null;
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
    ...lower("idle RSS after start", r.idle.byTarget[GW]!.rss, r.idle.byTarget[PORTKEY]!.rss, mib),
  ];
}

/** The PostgreSQL + Redis goal (#14): Kriora's added p50 in that mode against its added p50 on SQLite, same run. */
export function postgresRedisGoal(r: PostgresRedisResult): Goal {
  const base = { name: "Added latency p50 on PostgreSQL + Redis (c=1)", goal: "within 0.3 ms of SQLite mode" };
  if ("skipped" in r) return { ...base, measured: `not run: ${r.skipped}`, met: false };
  const lat = r.latency.byTarget;
  const onPg = lat[PG]!.p50 - lat.direct!.p50;
  const onSqlite = lat[GW]!.p50 - lat.direct!.p50;
  const more = onPg - onSqlite;
  return {
    ...base,
    measured: `${more >= 0 ? "+" : ""}${ms(more)} (added ${ms(onPg)}, SQLite ${ms(onSqlite)})`,
    met: more <= 0.3,
  };
}

/** Every goal of the performance issues (#9, #14, #15) and the metering issue's writer goals, measured. */
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
  const idleSource = r.idle.byTarget[GW]!;
  const idleBinary = r.idle.byTarget[BINARY]!;
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
      name: "Idle RSS after start, before any request (kriora serve from source / the compiled binary)",
      goal: "≤ 60 MB",
      measured: `${mib(idleSource.rss)} / ${mib(idleBinary.rss)}`,
      met: Math.max(idleSource.rss, idleBinary.rss) <= 60 * 2 ** 20,
    },
    {
      name: `RSS after the 1,000 streams end (${r.concurrency.rssOf})`,
      goal: "within 10% of idle before the ladder",
      measured:
        rss.after1k > 0
          ? `${mib(rss.after1k)} (idle before the ladder ${mib(rss.idle)}, ${pctOver(rss.after1k, rss.idle)})`
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
    postgresRedisGoal(r.postgresRedis),
    soakGoal(r.soak),
  ];
}

const SOAK_MINUTES = 20;

function gcSection(gc: GcPausesResult): string {
  return `## Garbage-collector pauses at concurrency 1

One more Kriora gateway started with \`BUN_JSC_logGC=1\` (JavaScriptCore's own log of each collection, on its stderr), warmed up,
then driven at concurrency 1 with instant JSON; the log written meanwhile is counted.

${table(
  ["requests", "p50", "p99", "collections", "stops of the process", "stop median", "stop p99", "longest stop"],
  [
    [
      int(gc.requests),
      ms(gc.p50),
      ms(gc.p99),
      gc.collections,
      gc.pauses.length,
      ms(quantile(gc.pauses, 0.5)),
      ms(quantile(gc.pauses, 0.99)),
      ms(Math.max(0, ...gc.pauses)),
    ],
  ],
)}
`;
}

function soakSection(soak: SoakResult | null): string {
  if (!soak)
    return "## Soak\n\nNot run yet: `npm run bench:soak` (20 min) writes bench/soak.json, which this report reads.\n";
  const c = soak.counts;
  return `## Soak (\`npm run bench:soak\`, read from bench/soak.json)

${soak.minutes} min on commit ${soak.commit} (${soak.date}), warm-up ${soak.warmupMinutes.toFixed(1)} min. Kriora as \`npm start\` runs it, under a
mixed load the whole time: instant JSON on 8 keep-alive connections, 10 paced streams started every second, 4 streams a second
abandoned by the client after 200 ms, and 10 slow readers (1 KB/s) replaced every 30 s. Each reading is taken with the load
paused and the gateway idle.

${table(
  ["reading", "RSS", "open fds", "of them"],
  [
    ["idle after start", mib(soak.idle.rss), soak.idle.fds, censusText(soak.idle.census)],
    ["after warm-up (load paused)", mib(soak.warm.rss), soak.warm.fds, censusText(soak.warm.census)],
    ["at the end (load stopped)", mib(soak.end.rss), soak.end.fds, censusText(soak.end.census)],
  ],
)}

${int(c.json)} JSON requests (${c.jsonFailed} failed), ${int(c.streams)} streams (${c.streamsFailed} failed), ${int(c.abandoned)} abandoned by the client, ${int(c.slowReaders)} slow readers.
`;
}

export function soakGoal(soak: SoakResult | null): Goal {
  const base = {
    name: `Soak: ${SOAK_MINUTES} min of mixed JSON + streams + aborts + slow readers (\`npm run bench:soak\`)`,
    goal: "RSS after warm-up grows ≤ 5%, no fd growth, 0 errors",
  };
  if (!soak) return { ...base, measured: "not run (bench/soak.json is missing)", met: false };
  const failed = soak.counts.jsonFailed + soak.counts.streamsFailed;
  const fds = soak.end.fds - soak.warm.fds;
  const growth = (100 * (soak.end.rss - soak.warm.rss)) / soak.warm.rss;
  return {
    ...base,
    measured:
      `RSS ${growth >= 0 ? "+" : ""}${growth.toFixed(1)}%, fds ${fds >= 0 ? "+" : ""}${fds}, ${failed} errors ` +
      `(${soak.minutes} min on ${soak.commit}, ${soak.date.slice(0, 10)})`,
    met: soak.met && soak.minutes >= SOAK_MINUTES,
  };
}

/** µs of the database servers' CPU per request on PostgreSQL + Redis, net of their load during the SQLite rounds. */
function serverMicros(r: PostgresRedisRun): number {
  const tp = r.throughput.byTarget;
  return ((tp[PG]!.cpu.servers - tp[GW]!.cpu.servers) / 100) * (1e6 / tp[PG]!.rps);
}

function postgresRedisBound(r: PostgresRedisResult): string {
  if ("skipped" in r) return "the scenario did not run.";
  const tp = r.throughput.byTarget;
  const lat = r.latency.byTarget;
  return (
    `at concurrency 1 nothing overlaps the round trips a request awaits in that mode. An instance on PostgreSQL alone (no Redis) ` +
    `added ${ms(lat[PG_ONLY]!.p50 - lat[GW]!.p50)} of p50 to SQLite's, Redis the other ${ms(lat[PG]!.p50 - lat[PG_ONLY]!.p50)}. ` +
    `Under ${r.throughput.connections} connections Kriora spent ${int(tp[PG]!.proxyMicrosPerRequest)} µs of CPU per request there against ${int(tp[GW]!.proxyMicrosPerRequest)} µs on SQLite, ` +
    `and the PostgreSQL and Redis servers ${int(serverMicros(r))} µs more (section 7).`
  );
}

/** Section 7 of bench/README.md: Kriora on PostgreSQL + Redis beside SQLite, and two instances against one. */
export function postgresRedisSection(r: PostgresRedisResult): string {
  const head = "## 7. PostgreSQL + Redis (issue 14)\n\n";
  if ("skipped" in r) return `${head}Skipped: ${r.skipped}.\n`;
  const lat = r.latency.byTarget;
  const tp = r.throughput.byTarget;
  const { one, two, connections } = r.instances;
  const modes = [
    ["direct", "direct"],
    ["SQLite", GW],
    ["PostgreSQL only", PG_ONLY],
    ["PostgreSQL + Redis", PG],
  ] as const;
  return `${head}Kriora as in the scenarios above, once on SQLite and once with \`database.url\` and \`redis.url\` set (a schema and a key prefix
of its own on the local PostgreSQL and Redis, dropped after), driven by the same generator in the same run, rounds interleaved.
"PostgreSQL only" is one more instance on the same schema without \`redis.url\` (limits and spend in its own memory), to
tell what each server adds.

${table(
  ["mode", "p50", "p99", "added p50", "added p99", "requests", "errors"],
  modes.map(([label, t]) => [
    label,
    ms(lat[t]!.p50),
    ms(lat[t]!.p99),
    t === "direct" ? "—" : ms(lat[t]!.p50 - lat.direct!.p50),
    t === "direct" ? "—" : ms(lat[t]!.p99 - lat.direct!.p99),
    int(lat[t]!.n),
    lat[t]!.errors,
  ]),
)}

${table(
  [
    "mode",
    "req/s (median)",
    "rounds",
    "errors",
    "Kriora CPU",
    "Kriora CPU per request",
    "PostgreSQL + Redis servers' CPU",
  ],
  [modes[1], modes[3]].map(([label, t]) => [
    label,
    int(tp[t]!.rps),
    tp[t]!.rounds.map(int).join(", "),
    tp[t]!.errors,
    `${int(tp[t]!.cpu.proxy)}%`,
    `${int(tp[t]!.proxyMicrosPerRequest)} µs`,
    `${int(tp[t]!.cpu.servers)}%`,
  ]),
)}

${connections} connections, instant JSON. CPU is % of one core over the rounds. The servers' CPU counts every \`postgres\` and
\`redis-server\` process on the machine, which other test suites share: net of what they used during the SQLite rounds,
PostgreSQL + Redis cost ${int(serverMicros(r))} µs of server CPU per request.

${table(
  ["instances", "req/s (median)", "rounds", "errors"],
  [
    ["1", int(one.rps), one.rounds.map(int).join(", "), one.errors],
    ["2", int(two.rps), two.rounds.map(int).join(", "), two.errors],
  ],
)}

Two \`kriora serve\` processes on the same schema and prefix, the ${connections} connections split between them, rounds interleaved
with one instance taking them all: 2 instances served ${(two.rps / one.rps).toFixed(2)}× what 1 did. This is loopback on one
machine: the load generator, the fake upstream, PostgreSQL and Redis share its cores with the instances, so the ratio is
what this machine allows, not what instances on their own hosts get.

The gateways on PostgreSQL answered ${int(r.answered)} requests with 200 and left ${int(r.usageRows)} usage rows there; the
PostgreSQL + Redis ones answered ${int(r.redisAnswered)} and left ${int(r.redisKeys)} keys under their prefix, ${mib(r.redisBytes)} by Redis' \`MEMORY USAGE\`
(${(r.redisKeys / Math.max(r.redisAnswered, 1)).toFixed(2)} keys and ${int(r.redisBytes / Math.max(r.redisAnswered, 1))} bytes per request, at the end of the run).
`;
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
  const flushShare = stackShare(p, "writeSliceNow (src/usage/writer.ts");
  const flushMs = (rows: number) => (rows / w.flushRowsPerSecond) * 1000;
  const writerFacts = `a flush of ${w.batch} rows takes ${ms(flushMs(w.batch))} on average (longest ${ms(w.maxFlushMs)}) and runs synchronously on the server's one thread; its timer drains the queue in slices, and draining ${w.batch} rows held the loop at most ${ms(w.longestHoldMs)} at a time`;
  const added = (t: string, field: "toUpstreamP50" | "firstChunkP50" | "chunkDelayP50") =>
    ms(st[t]![field] - st.direct![field]);
  const line = (g: Goal, text: string) => `- **${g.name}** (${g.measured}): ${text}`;
  return missed.map((g) => {
    if (g.name.startsWith("Added latency p50 on PostgreSQL")) return line(g, postgresRedisBound(r.postgresRedis));
    if (g.name.startsWith("Added latency p50")) {
      const tp = r.throughput.byTarget;
      return line(
        g,
        `every request pays Kriora's own work before and after the upstream call: ${int(tp[GW]!.proxyMicrosPerRequest)} µs of CPU per request against the bare proxy's ` +
          `${int(tp["bare proxy"]!.proxyMicrosPerRequest)} µs under load (scenario 2; where it goes is in the profile below).`,
      );
    }
    if (g.name.startsWith("Added latency p99")) {
      const gc = r.gcPauses;
      const rate = lat[GW]!.n / r.latency.seconds;
      const hit = (100 * gc.pauses.length) / Math.max(gc.requests, 1);
      return line(
        g,
        `the slowest 1% of requests at concurrency 1 wait for something else the process or the machine does. Garbage collection is part of it: ` +
          `JavaScriptCore's GC log (section "Garbage-collector pauses") shows ${gc.collections} collections in ${int(gc.requests)} requests, stopping the process ` +
          `${gc.pauses.length} times (median ${ms(quantile(gc.pauses, 0.5))}, longest ${ms(Math.max(0, ...gc.pauses))}), so ${hit.toFixed(1)}% of requests meet a pause` +
          `${hit < 1 ? ", fewer than the 1% p99 looks at" : ""}. The usage writer flushes every 100 ms in transactions of at most 256 rows, here ${Math.ceil(rate / 10 / 256)} of ~${int(Math.min(256, rate / 10))} rows ` +
          `per flush at ${int(rate)} req/s (draining ${w.batch} rows held the loop at most ${ms(w.longestHoldMs)} at a time, a zero-delay timer's own wait included). ` +
          `The rest is not broken down here: the gateway's own threads (Bun's HTTP client, JIT and GC helpers) share ${r.machine.cores} cores with the load generator and the upstream; ` +
          `the bare proxy's p99 in the same run is ${ms(lat["bare proxy"]!.p99)}, Portkey's ${ms(lat[PORTKEY]!.p99)}.`,
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
          `upstream call ${us("callUpstream (")}, usage writer flush ${us("writeSliceNow (src/usage/writer.ts")}, response and metering ${us("respond (src/proxy/relay.ts")}, ` +
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
          `${ms(st["bare proxy"]!.chunkDelayP50)} through the bare proxy, ${ms(st.direct!.chunkDelayP50)} direct. One stream writes one usage row, so flushes are not the cause here. ` +
          `Relaying an event costs Kriora ${r.chunkCpu.byTarget[GW]!.microsPerEvent.toFixed(1)} µs of CPU, the bare proxy ${r.chunkCpu.byTarget["bare proxy"]!.microsPerEvent.toFixed(1)} µs (scenario 3b).`,
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
    if (g.name.startsWith("Idle RSS")) {
      const split = (name: string) => {
        const x = r.idle.byTarget[name]!;
        return `${mib(x.anon)} + ${mib(x.file)}`;
      };
      return line(
        g,
        `right after start, its own memory + the pages of its executable it touched (file-backed, shared with every process running that file): ` +
          `from source ${split(GW)}, the compiled binary ${split(BINARY)}, the bare proxy ${split("bare proxy")}, Portkey ${split(PORTKEY)}. ` +
          "A Bun process touches more of Bun's own code the more it runs at start (the parser for ~2 MB of bundled JS, SQLite, the crypto library), " +
          "and the modules a request needs are the rest: Elysia with TypeBox, drizzle, jose and Kriora's own. Stripe, nodemailer and the OpenTelemetry SDK load only when configured; " +
          "from source Bun also transpiles each of ~700 files.",
      );
    }
    if (g.name.startsWith("Portkey")) {
      return line(
        g,
        "each of these figures has its own goal above, and the line for it says what bounds Kriora. Portkey's gateway authenticates, limits and meters nothing: " +
          "Kriora does all three on every request.",
      );
    }
    if (g.name.startsWith("Soak")) {
      return line(
        g,
        r.soak
          ? `the last soak ran ${r.soak.minutes} min on ${r.soak.commit}: RSS ${mib(r.soak.warm.rss)} after the warm-up, ${mib(r.soak.end.rss)} at the end; ` +
              `fds ${r.soak.warm.fds} → ${r.soak.end.fds}; ${r.soak.counts.jsonFailed} JSON and ${r.soak.counts.streamsFailed} streams failed.`
          : `it takes ${SOAK_MINUTES} min, so it is not part of this run: \`npm run bench:soak\` writes bench/soak.json.`,
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

## Idle memory right after start

${table(
  ["process", "RSS", "its own (RssAnon)", "executable pages (RssFile)"],
  Object.entries(r.idle.byTarget).map(([name, x]) => [name, mib(x.rss), mib(x.anon), mib(x.file)]),
)}

Read 2 s after each process printed that it listens, before the warm-up; the binary is built by this run with
\`npm run build\`'s flags and started on a data dir of its own. RssFile is mostly the pages of Bun's executable
(or the compiled binary) the process has run: shared with every process running the same file.

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

## 3b. CPU per relayed chunk (${r.chunkCpu.concurrent} paced streams at once)

${table(
  ["path", "streams", "events relayed", "incomplete", "CPU per stream", "CPU per event, net of the request"],
  Object.entries(r.chunkCpu.byTarget).map(([name, c]) => [
    name,
    int(c.streams),
    int(c.events),
    c.incomplete,
    `${int(c.microsPerStream)} µs`,
    `${c.microsPerEvent.toFixed(1)} µs`,
  ]),
)}

Each stream is one request and ${STREAM_CHUNKS + 2} events; the proxy's CPU is read from /proc around each of
${r.chunkCpu.rounds} rounds. The request's share is what one instant JSON request cost that proxy in scenario 2;
the rest, spread over the events, is what relaying one costs. Where Kriora's goes is in the streaming profile at the end.

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

${postgresRedisSection(r.postgresRedis)}
${gcSection(r.gcPauses)}
${soakSection(r.soak)}
## Profile of Kriora under the throughput load

\`bun --cpu-prof\` on a second gateway driven by ${r.profile.connections} connections: ${int(r.profile.rps)} req/s, ${r.profile.busyPct}% of one core sampled.
Self is time in the function itself; stack is time with it anywhere on the stack.

Self time by origin: ${r.profile.origins.map((o) => `${o.origin} ${o.selfPct}%`).join(", ")}.

${table(["function (self time)", "self", "stack"], spotRows(r.profile.self))}

${table(["Kriora function (time on the stack)", "self", "stack"], spotRows(r.profile.inclusive))}

## Profile of Kriora under ${r.streamProfile.connections} paced streams at once

The same, driven by rounds of ${r.streamProfile.connections} streams (${STREAM_CHUNKS} chunks, ${PACE_MS} ms apart): ${r.streamProfile.rps.toFixed(0)} streams/s, ${r.streamProfile.busyPct}% of one core sampled.

Self time by origin: ${r.streamProfile.origins.map((o) => `${o.origin} ${o.selfPct}%`).join(", ")}.

${table(["function (self time)", "self", "stack"], spotRows(r.streamProfile.self))}

${table(["Kriora function (time on the stack)", "self", "stack"], spotRows(r.streamProfile.inclusive))}
`;
}

/**
 * The soak of issue 15 (`bun bench/soak.ts [--minutes 20]`, opt-in: not part of `npm run bench`).
 * Kriora as `npm start` runs it, against the fake upstream, under a mixed load for the whole
 * time: instant JSON on 8 keep-alive connections, 10 paced streams started every second, 4
 * streams a second that the client abandons after 200 ms, and 10 slow readers (1 KB/s) replaced
 * every 30 s. After a warm-up (a tenth of the run, at least a minute or half of a short run) and at the end, the load
 * pauses until the gateway is idle and its RSS and open file descriptors are read. Prints a table
 * and writes the result to bench/soak.json, which `npm run bench` shows in its goals table; exits 1
 * if RSS grew more than 5%, descriptors grew, or any request failed. Loopback only.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startGateway } from "./gateway";
import type { ResponseSink } from "./http1";
import { connectMany, slowReaders, StreamWatch } from "./load";
import { runCommand, startChild, URL_LINE } from "./procs";
import { censusText, SOAK_FILE, type SoakResult } from "./soakResult";
import { FLOOD_MODEL, MODEL, STREAM_EVENTS } from "./shape";
import { mb } from "./stats";
import { chatRequest, type Target } from "./targets";

const { values: args } = parseArgs({ options: { minutes: { type: "string", default: "20" } } });
const totalMs = Number(args.minutes) * 60_000;
const warmupMs = Math.max(Math.min(60_000, totalMs / 2), totalMs / 10);
const FETCH_SLOTS = { BUN_CONFIG_MAX_HTTP_REQUESTS: "65336" };
const dir = mkdtempSync(join(tmpdir(), "kriora-soak-"));
const counts = { json: 0, jsonFailed: 0, streams: 0, streamsFailed: 0, abandoned: 0, slowReaders: 0 };
let running = true;

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Local and remote port of every TCP socket on the machine, by inode (/proc/net/tcp and tcp6). */
function tcpPorts(): Map<string, { local: number; remote: number }> {
  const ports = new Map<string, { local: number; remote: number }>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"])
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (address: string) => Number.parseInt(address.split(":")[1]!, 16);
      ports.set(f[9]!, { local: port(f[1]!), remote: port(f[2]!) });
    }
  return ports;
}

/** What a process's open descriptors are: sockets by peer (the upstream, clients, listening), files, pipes, the rest. */
function fdCensus(pid: number, gatewayPort: number, upstreamPort: number): Record<string, number> {
  const ports = tcpPorts();
  const census: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const tcp = inode ? ports.get(inode) : undefined;
    const kind = tcp
      ? tcp.remote === 0
        ? "listening"
        : tcp.remote === upstreamPort
          ? "to the upstream"
          : tcp.local === gatewayPort
            ? "from clients"
            : "other TCP"
      : inode
        ? "other sockets"
        : target.startsWith("pipe:")
          ? "pipes"
          : target.startsWith("/")
            ? "files"
            : "other";
    census[kind] = (census[kind] ?? 0) + 1;
  }
  return census;
}

/** Instant JSON on `n` connections, each sending the next when its answer ends, while `running`. */
async function jsonLoad(target: Target, n: number) {
  const request = chatRequest(target, MODEL, false);
  const conns = await connectMany(target.url, n);
  await Promise.all(
    conns.map(
      (conn) =>
        new Promise<void>((done) => {
          const sink: ResponseSink = {
            end(status) {
              counts.json++;
              if (status !== 200) counts.jsonFailed++;
              if (!running || status === 0) return done();
              conn.send(request, sink);
            },
          };
          conn.send(request, sink);
        }),
    ),
  );
  for (const conn of conns) conn.close();
}

/** Every second: `whole` streams read to the end and `abandoned` closed after 200 ms, while `running`. */
async function streamLoad(target: Target, whole: number, abandoned: number) {
  const request = chatRequest(target, MODEL, true);
  const open = new Set<Promise<void>>();
  while (running) {
    const conns = await connectMany(target.url, whole + abandoned);
    for (const [i, conn] of conns.entries()) {
      const watch = new StreamWatch();
      watch.start(conn, request);
      if (i >= whole) {
        setTimeout(() => conn.close(), 200);
        counts.abandoned++;
        continue;
      }
      const done = watch.done.then((r) => {
        counts.streams++;
        if (r.status !== 200 || r.events !== STREAM_EVENTS) counts.streamsFailed++;
        conn.close();
        open.delete(done);
      });
      open.add(done);
    }
    await Bun.sleep(1_000);
  }
  await Promise.all(open);
}

/** 10 slow readers of a flood stream at a time, each batch for 30 s, while `running`. */
async function slowLoad(target: Target) {
  const request = chatRequest(target, FLOOD_MODEL, true);
  while (running) {
    await slowReaders(target.url, request, 10, 1024, 30_000);
    counts.slowReaders += 10;
  }
}

/** Stop the load, wait until the gateway has settled, read RSS and fds, and start the load again (unless `last`). */
let load: Promise<unknown> = Promise.resolve();
const start = (t: Target) => {
  running = true;
  load = Promise.all([jsonLoad(t, 8), streamLoad(t, 10, 4), slowLoad(t)]);
};
async function quietReading(pid: number, rss: () => number, census: () => Record<string, number>) {
  running = false;
  await load;
  await Bun.sleep(5_000);
  return { rss: rss(), fds: fds(pid), census: census() };
}

try {
  const upstream = await startChild("upstream", [process.execPath, "bench/upstream.ts"], dir, URL_LINE);
  const gw = await startGateway(upstream.url, dir, "kriora", { env: FETCH_SLOTS });
  const target: Target = { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid };
  const census = () => fdCensus(gw.pid, Number(new URL(gw.url).port), Number(new URL(upstream.url).port));
  const idle = { rss: gw.rss(), fds: fds(gw.pid), census: census() };
  const began = performance.now();
  start(target);
  await Bun.sleep(warmupMs);
  const warm = await quietReading(gw.pid, gw.rss, census);
  start(target);
  await Bun.sleep(Math.max(0, totalMs - (performance.now() - began)));
  const end = await quietReading(gw.pid, gw.rss, census);
  await gw.stop();
  await upstream.stop();
  const growth = (end.rss - warm.rss) / warm.rss;
  const failed = counts.jsonFailed + counts.streamsFailed;
  const ok = growth <= 0.05 && end.fds <= warm.fds && failed === 0;
  console.log(`Soak: ${(totalMs / 60_000).toFixed(1)} min, warm-up ${(warmupMs / 60_000).toFixed(1)} min\n`);
  console.log("| reading | RSS | open fds | of them |\n|---|---|---|---|");
  for (const [name, r] of [
    ["idle after start", idle],
    ["after warm-up (load paused)", warm],
    ["at the end (load stopped)", end],
  ] as const)
    console.log(`| ${name} | ${mb(r.rss).toFixed(1)} MB | ${r.fds} | ${censusText(r.census)} |`);
  console.log(
    `\nRSS growth after warm-up ${(growth * 100).toFixed(1)}% (goal ≤ 5%), fds ${end.fds - warm.fds >= 0 ? "+" : ""}${end.fds - warm.fds} (goal no growth), ` +
      `errors ${failed} (goal 0): ${counts.json} JSON (${counts.jsonFailed} failed), ${counts.streams} streams (${counts.streamsFailed} failed), ` +
      `${counts.abandoned} abandoned by the client, ${counts.slowReaders} slow readers. ${ok ? "met" : "MISSED"}`,
  );
  const result: SoakResult = {
    date: new Date().toISOString(),
    commit: (await runCommand(["git", "rev-parse", "--short", "HEAD"])).trim(),
    minutes: totalMs / 60_000,
    warmupMinutes: warmupMs / 60_000,
    idle,
    warm,
    end,
    counts,
    met: ok,
  };
  writeFileSync(SOAK_FILE, `${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

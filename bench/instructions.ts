/**
 * Instructions per request and per stream: a count, not a time, so it repeats on a machine others
 * are loading (`bun bench/instructions.ts [--root DIR]`; ±2% run to run). Needs Debian's
 * qemu-user and a C compiler: the gateway runs under `qemu-x86_64` with bench/insnCount.c as a
 * TCG plugin counting every instruction of every thread (valgrind 3.19 cannot run it: Bun's HTTP
 * client uses an SSE4.2 string instruction VEX does not decode, and the process dies with SIGILL).
 * Starts the fake upstream and `kriora serve`, warms up, then sends a fixed number of requests
 * (instant JSON, `--conns` at a time) and a fixed number of paced streams, reading the count
 * before and after each phase. `--root` runs the gateway from another checkout (an older commit,
 * to bisect a regression); `--bare` measures the bare proxy instead, the floor. The counts include the gateway's timers (revocation sync, usage writer
 * flush), which tick per wall-clock second, not per request.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startGateway } from "./gateway";
import type { ResponseSink } from "./http1";
import { connectMany, streams } from "./load";
import { runCommand, startChild, URL_LINE } from "./procs";
import { MODEL } from "./shape";
import { chatRequest, type Target } from "./targets";

const { values: args } = parseArgs({
  options: {
    root: { type: "string", default: "." },
    requests: { type: "string", default: "2000" },
    conns: { type: "string", default: "16" },
    streams: { type: "string", default: "20" },
    warmup: { type: "string", default: "2000" },
    bare: { type: "boolean", default: false },
  },
});
const REQUESTS = Number(args.requests);
const CONNS = Number(args.conns);
const STREAMS = Number(args.streams);
const WARMUP = Number(args.warmup);
const benchDir = import.meta.dir;
const dir = mkdtempSync(join(tmpdir(), "kriora-instr-"));
const countFile = join(dir, "instructions");
process.chdir(resolve(args.root));

/** `count` requests over `conns` keep-alive connections, each sending its next when the last ends. */
async function fixedCount(url: string, request: Uint8Array, conns: number, count: number): Promise<number> {
  const open = await connectMany(url, conns);
  let sent = 0;
  let errors = 0;
  await Promise.all(
    open.map(
      (conn) =>
        new Promise<void>((done) => {
          const sink: ResponseSink = {
            end(status) {
              if (status !== 200) errors++;
              if (status === 0 || sent >= count) return done();
              sent++;
              conn.send(request, sink);
            },
          };
          sent++;
          conn.send(request, sink);
        }),
    ),
  );
  for (const conn of open) conn.close();
  return errors;
}

/** The gateway's instructions so far, as the plugin last wrote them (it writes every 10 ms). */
async function executed(): Promise<number> {
  await Bun.sleep(100);
  return Number(readFileSync(countFile, "utf8"));
}

try {
  const upstream = await startChild("upstream", [process.execPath, join(benchDir, "upstream.ts")], dir, URL_LINE);
  const plugin = join(dir, "insnCount.so");
  await runCommand(["cc", "-O2", "-shared", "-fPIC", "-o", plugin, join(benchDir, "insnCount.c"), "-lpthread"]);
  const wrap = ["qemu-x86_64", "-plugin", `${plugin},out=${countFile}`];
  // JavaScriptCore's compiler and collector threads run when the machine lets them: in-line, their work repeats.
  const env = { BUN_JSC_useConcurrentJIT: "false", BUN_JSC_useConcurrentGC: "false" };
  const gw = args.bare
    ? {
        ...(await startChild(
          "bare-proxy",
          [...wrap, process.execPath, join(benchDir, "bareProxy.ts"), upstream.url],
          dir,
          URL_LINE,
          env,
          120_000,
        )),
        key: "",
      }
    : await startGateway(upstream.url, dir, "kriora", { wrap, env, startMs: 120_000 });
  const target: Target = { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid };
  const json = chatRequest(target, MODEL, false);
  const stream = chatRequest(target, MODEL, true);
  await fixedCount(gw.url, json, CONNS, WARMUP);
  await streams(gw.url, stream, STREAMS);
  const idleFrom = await executed();
  await Bun.sleep(2_000);
  const before = await executed();
  const idlePerSecond = (before - idleFrom) / 2.1;
  const jsonErrors = await fixedCount(gw.url, json, CONNS, REQUESTS);
  const afterJson = await executed();
  const results = await streams(gw.url, stream, STREAMS);
  const perRequest = (afterJson - before) / REQUESTS;
  const perStream = ((await executed()) - afterJson) / STREAMS;
  const cut = results.filter((r) => r.status !== 200).length;
  console.log(
    JSON.stringify({
      measured: args.bare ? "bare proxy" : process.cwd(),
      requests: REQUESTS,
      conns: CONNS,
      idleInstructionsPerSecond: Math.round(idlePerSecond),
      instructionsPerRequest: Math.round(perRequest),
      jsonErrors,
      streams: STREAMS,
      instructionsPerStream: Math.round(perStream),
      streamErrors: cut,
    }),
  );
  await gw.stop();
  await upstream.stop();
} finally {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  else console.error(dir);
}

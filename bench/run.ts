/**
 * `npm run bench`: starts the fake upstream, the bare proxy and Kriora (each its own process),
 * runs the scenarios with the four paths interleaved, 2 workers against 1 and Kriora on PostgreSQL +
 * Redis against SQLite, profiles Kriora under load, stops every process, and rewrites
 * bench/README.md. Loopback only; every load is bounded in time.
 *
 * `npm run bench -- --only pg` runs just the PostgreSQL + Redis scenario, briefly, and prints its
 * section and goal instead of rewriting the README.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway } from "./gateway";
import { startPortkey } from "./portkey";
import { closedLoop, streams } from "./load";
import { foreignCpu, machine } from "./machine";
import { fdLimits, startChild, URL_LINE, type Child } from "./procs";
import { goals, postgresRedisGoal, postgresRedisSection, renderReport, type Goal } from "./report";
import { chunkCpuScenario } from "./scenarios/chunkCpu";
import { concurrencyScenario } from "./scenarios/concurrency";
import { gcPausesScenario } from "./scenarios/gcPauses";
import { idleScenario } from "./scenarios/idle";
import { latencyScenario } from "./scenarios/latency";
import { postgresRedisScenario, type PostgresRedisResult } from "./scenarios/postgresRedis";
import { profileScenario } from "./scenarios/profile";
import { slowReadersScenario } from "./scenarios/slowReaders";
import { streamingScenario } from "./scenarios/streaming";
import { throughputScenario } from "./scenarios/throughput";
import { usageWriterScenario } from "./scenarios/usageWriter";
import { workersScenario } from "./scenarios/workers";
import { MODEL } from "./shape";
import { readSoak } from "./soakResult";
import { chatRequest, type Target } from "./targets";

const CONNECTIONS = 64;
/** Paced streams at once when CPU per relayed chunk is measured and profiled. */
const CHUNK_STREAMS = 200;
const LADDER = [250, 500, 1_000, 2_000, 3_000, 4_000, 5_000];
const RAISED = "KRIORA_BENCH_FDS_RAISED";
/**
 * Bun's fetch runs at most 256 requests at once unless this is in the environment when the
 * process starts. The bare proxy gets it (it is the floor); Kriora runs as shipped, and once more
 * with it for the concurrency ladder, to show what the limit hides.
 */
/** As `npm start` runs Kriora (see README): Bun's fetch may make this many upstream requests at once. */
const FETCH_SLOTS = { BUN_CONFIG_MAX_HTTP_REQUESTS: "65336" };
const ONLY = ["pg"];
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (only !== undefined && !ONLY.includes(only)) {
  console.error(`--only takes one of: ${ONLY.join(", ")}`);
  process.exit(2);
}

// The client side of 5,000 streams needs as many sockets: run again with the soft limit raised to the hard one.
const fd = fdLimits();
if (fd.soft < fd.hard && !process.env[RAISED]) {
  const again = Bun.spawn(
    ["sh", "-c", 'ulimit -n "$(ulimit -Hn)"; exec "$@"', "sh", process.execPath, ...process.argv.slice(1)],
    {
      env: { ...process.env, [RAISED]: "1" },
      stdio: ["inherit", "inherit", "inherit"],
    },
  );
  process.exit(await again.exited);
}
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
process.chdir(join(import.meta.dir, ".."));

const started = performance.now();
const say = (text: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}`);
const foreign = foreignCpu();
const dir = mkdtempSync(join(tmpdir(), "kriora-bench-"));
const children: Child[] = [];
const stop = async (child: Child) => {
  const at = children.indexOf(child);
  if (at >= 0) children.splice(at, 1);
  await child.stop();
};
const printGoal = (g: Goal) => console.log(`${g.met ? "met   " : "MISSED"}  ${g.name}: ${g.measured} (goal ${g.goal})`);
const sayPostgresRedis = (r: PostgresRedisResult) => {
  if ("skipped" in r) say(`PostgreSQL + Redis scenario skipped: ${r.skipped}`);
};

/** `--only pg`: the upstream and Kriora on SQLite, then the PostgreSQL + Redis scenario with short rounds. */
async function onlyPostgresRedis() {
  say("starting the fake upstream and kriora serve (SQLite)");
  const upstream = await startChild("upstream", [process.execPath, "bench/upstream.ts"], dir, URL_LINE);
  children.push(upstream);
  const gw = await startGateway(upstream.url, dir, "kriora", { env: FETCH_SLOTS });
  children.push(gw);
  const direct: Target = { name: "direct", url: upstream.url, headers: {}, pid: null };
  const kriora: Target = { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid };
  for (const t of [direct, kriora]) await closedLoop(t.url, chatRequest(t, MODEL, false), CONNECTIONS, 1_500);
  say("PostgreSQL + Redis against SQLite, and two instances against one (short rounds)");
  const timing = { connections: CONNECTIONS, rounds: 2, latencyMs: 1_000, loadMs: 2_000 };
  const result = await postgresRedisScenario(upstream, dir, direct, kriora, timing, FETCH_SLOTS);
  sayPostgresRedis(result);
  if ("skipped" in result) return;
  console.log(`\n${postgresRedisSection(result)}`);
  printGoal(postgresRedisGoal(result));
  say("done; bench/README.md left as it was");
}

try {
  if (only === "pg") await onlyPostgresRedis();
  else await all();
} finally {
  for (const child of [...children].reverse()) await stop(child);
  rmSync(dir, { recursive: true, force: true });
}

async function all() {
  say("starting the fake upstream, the bare proxy, Portkey's gateway and kriora serve");
  const upstream = await startChild("upstream", [process.execPath, "bench/upstream.ts"], dir, URL_LINE);
  children.push(upstream);
  const bare = await startChild(
    "bare-proxy",
    [process.execPath, "bench/bareProxy.ts", upstream.url],
    dir,
    URL_LINE,
    FETCH_SLOTS,
  );
  children.push(bare);
  const portkey = await startPortkey(upstream.url, dir);
  children.push(portkey);
  const gw = await startGateway(upstream.url, dir, "kriora", { env: FETCH_SLOTS });
  children.push(gw);
  const kriora: Target = { name: "kriora", url: gw.url, headers: { authorization: `Bearer ${gw.key}` }, pid: gw.pid };
  const targets: Target[] = [
    { name: "direct", url: upstream.url, headers: {}, pid: null },
    { name: "bare proxy", url: bare.url, headers: {}, pid: bare.pid },
    { name: "portkey", url: portkey.url, headers: portkey.headers, pid: portkey.pid },
    kriora,
  ];
  const fdCap = Math.floor((fdLimits().soft - 200) / 2);

  say("idle RSS right after start, and of the compiled binary");
  const idle = await idleScenario(targets, upstream.url, dir);
  say("warm-up");
  for (const t of targets) {
    await closedLoop(t.url, chatRequest(t, MODEL, false), CONNECTIONS, 1_500);
    await streams(t.url, chatRequest(t, MODEL, true), 4);
  }
  say("1/6 latency at concurrency 1");
  const latency = await latencyScenario(targets, 3, 2_000);
  say(`2/6 throughput at ${CONNECTIONS} connections`);
  const throughput = await throughputScenario(targets, upstream.pid, CONNECTIONS, 3, 5_000);
  say("3/6 streaming at concurrency 1");
  const streaming = await streamingScenario(targets, 8);
  say(`CPU per relayed chunk, ${CHUNK_STREAMS} streams at once`);
  const chunkCpu = await chunkCpuScenario(
    targets,
    CHUNK_STREAMS,
    3,
    Object.fromEntries(Object.entries(throughput.byTarget).map(([name, t]) => [name, t.proxyMicrosPerRequest])),
  );
  say(`4/6 concurrent streams, ladder ${LADDER.join(", ")}`);
  const concurrency = await concurrencyScenario(targets, LADDER, kriora, fdCap);
  say("5/6 slow readers");
  const slowReaders = await slowReadersScenario(targets.slice(1), upstream.url, 200, 1024, 8_000);
  await stop(portkey);
  await stop(bare);
  say(`2 workers against 1 at ${CONNECTIONS} connections`);
  const gw2 = await startGateway(upstream.url, dir, "kriora-2w", { env: FETCH_SLOTS, args: ["--workers", "2"] });
  children.push(gw2);
  const workers = await workersScenario(
    kriora,
    { name: "kriora, 2 workers", url: gw2.url, headers: { authorization: `Bearer ${gw2.key}` }, pid: gw2.pid },
    CONNECTIONS,
    3,
    5_000,
  );
  await stop(gw2);
  say("PostgreSQL + Redis against SQLite, and two instances against one");
  const postgresRedis = await postgresRedisScenario(
    upstream,
    dir,
    targets[0]!,
    kriora,
    { connections: CONNECTIONS, rounds: 3, latencyMs: 2_000, loadMs: 5_000 },
    FETCH_SLOTS,
  );
  sayPostgresRedis(postgresRedis);
  await stop(gw);
  say("profiling kriora under the throughput load");
  const profile = await profileScenario(upstream.url, dir, "json", CONNECTIONS, 8_000, 25);
  say(`profiling kriora under ${CHUNK_STREAMS} streams at once`);
  const streamProfile = await profileScenario(upstream.url, dir, "streams", CHUNK_STREAMS, 8_000, 25);
  say("garbage-collector pauses at concurrency 1");
  const gcPauses = await gcPausesScenario(upstream.url, dir, 5_000);
  await stop(upstream);
  say("6/6 usage writer");
  const writer = await usageWriterScenario(dir, 100_000, 1_000);

  const results = {
    machine: machine(),
    date: new Date().toISOString(),
    wallSeconds: (performance.now() - started) / 1000,
    foreignCpu: foreign.share(),
    idle,
    latency,
    throughput,
    streaming,
    chunkCpu,
    concurrency,
    slowReaders,
    workers,
    writer,
    profile,
    streamProfile,
    gcPauses,
    postgresRedis,
    soak: readSoak(),
  };
  writeFileSync(join(import.meta.dir, "README.md"), renderReport(results));
  for (const g of goals(results)) printGoal(g);
  say("done; results in bench/README.md");
}

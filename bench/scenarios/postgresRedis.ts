import { openBackends, reason, serverTicks } from "../backends";
import { startGateway, type Gateway } from "../gateway";
import { closedLoop } from "../load";
import type { Child } from "../procs";
import { MODEL } from "../shape";
import { median } from "../stats";
import { chatRequest, type Target } from "../targets";
import { latencyScenario, type LatencyResult } from "./latency";
import { throughputScenario, type ThroughputResult } from "./throughput";

export const PG = "kriora, PostgreSQL + Redis";
export const PG_ONLY = "kriora, PostgreSQL only";

export interface PostgresRedisRun {
  /**
   * Concurrency 1, interleaved: direct, Kriora on SQLite, on PostgreSQL alone (an instance without
   * Redis, to tell the two servers' shares apart) and on PostgreSQL + Redis.
   */
  latency: LatencyResult;
  /** Kriora on SQLite and on PostgreSQL + Redis at `connections`, with the servers' CPU. */
  throughput: ThroughputResult;
  /** The same load on one PostgreSQL + Redis instance and spread over two, interleaved rounds. */
  instances: { connections: number; one: Rounds; two: Rounds };
  /** Requests the gateways on PostgreSQL answered with 200, and the usage rows they left there. */
  answered: number;
  usageRows: number;
  /** Requests the PostgreSQL + Redis gateways answered with 200, and the keys (and their bytes) left under their prefix. */
  redisAnswered: number;
  redisKeys: number;
  redisBytes: number;
}

export type PostgresRedisResult = PostgresRedisRun | { skipped: string };

interface Rounds {
  rounds: number[];
  rps: number;
  errors: number;
}

export interface Timing {
  connections: number;
  rounds: number;
  latencyMs: number;
  loadMs: number;
}

/**
 * Kriora on PostgreSQL + Redis (issue 14) beside Kriora on SQLite, same generator, same run: added
 * latency at concurrency 1 (and on PostgreSQL alone), CPU per request under load (the servers'
 * too), and two instances on one schema and prefix against one. Its own schema and key prefix,
 * dropped after; skipped with the reason when a server cannot be reached.
 */
export async function postgresRedisScenario(
  upstream: Child,
  dir: string,
  direct: Target,
  sqlite: Target,
  timing: Timing,
  env: Record<string, string>,
): Promise<PostgresRedisResult> {
  const backends = await openBackends();
  if ("skipped" in backends) return backends;
  const started: Gateway[] = [];
  let answered = 0;
  try {
    try {
      const toml = `${backends.database}\n${backends.redis}`;
      started.push(await startGateway(upstream.url, dir, "kriora-pg", { env, toml }));
      started.push(await startGateway(upstream.url, dir, "kriora-pg-b", { env, toml, sameAs: started[0] }));
      const alone = { env, toml: backends.database, sameAs: started[0] };
      started.push(await startGateway(upstream.url, dir, "kriora-pg-only", alone));
    } catch (e) {
      const use = await backends.connections();
      return { skipped: `Kriora did not start on PostgreSQL + Redis (PostgreSQL: ${use}): ${reason(e)}` };
    }
    const [a, b, alone] = started as [Gateway, Gateway, Gateway];
    const target = (g: Gateway, name: Target["name"]): Target => ({
      name,
      url: g.url,
      headers: { authorization: `Bearer ${g.key}` },
      pid: g.pid,
    });
    const one = target(a, PG);
    const two = [one, target(b, `${PG}, second instance`)];
    const { connections, rounds, latencyMs, loadMs } = timing;

    const pgOnly = target(alone, PG_ONLY);
    let alsoAlone = (await spread([pgOnly], connections, 1_500)).ok;
    answered += (await spread(two, connections, 1_500)).ok;
    await Bun.sleep(500);
    if ((await backends.usageRows()) === 0)
      return {
        skipped: "Kriora given database.url wrote no usage row to PostgreSQL (this build runs serve on SQLite)",
      };
    const latency = await latencyScenario([direct, sqlite, pgOnly, one], rounds, latencyMs);
    answered += latency.byTarget[PG]!.n;
    alsoAlone += latency.byTarget[PG_ONLY]!.n;
    const throughput = await throughputScenario([sqlite, one], upstream.pid, connections, rounds, loadMs, serverTicks);
    answered += throughput.byTarget[PG]!.ok;
    const acc = { one: { rounds: [] as number[], errors: 0 }, two: { rounds: [] as number[], errors: 0 } };
    for (let r = 0; r < rounds; r++)
      for (const [side, targets] of [
        ["one", [one]],
        ["two", two],
      ] as const) {
        const run = await spread(targets, connections, loadMs);
        acc[side].rounds.push(run.rps);
        acc[side].errors += run.errors;
        answered += run.ok;
      }
    const left = await backends.redisKeys();
    for (const g of started.splice(0)) await g.stop();
    return {
      latency,
      throughput,
      instances: {
        connections,
        one: { ...acc.one, rps: median(acc.one.rounds) },
        two: { ...acc.two, rps: median(acc.two.rounds) },
      },
      answered: answered + alsoAlone,
      usageRows: await backends.usageRows(),
      redisAnswered: answered,
      redisKeys: left.keys,
      redisBytes: left.bytes,
    };
  } finally {
    for (const g of started) await g.stop();
    await backends.close();
  }
}

/** The closed-loop load with its connections split evenly over `targets`, at once. */
async function spread(targets: readonly Target[], connections: number, ms: number) {
  const runs = await Promise.all(
    targets.map((t) => closedLoop(t.url, chatRequest(t, MODEL, false), Math.round(connections / targets.length), ms)),
  );
  return {
    ok: runs.reduce((n, r) => n + r.ok, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    rps: runs.reduce((n, r) => n + r.rps, 0),
  };
}

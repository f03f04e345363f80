import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "bun:test";
import { RedisClient, SQL } from "bun";
import { startFakeUpstream, type FakeUpstream } from "./fakeUpstream";
import { STRIPE_ENV, type FakeStripe } from "./fakeStripe";
import { PROVIDER_KEYS, providerToml } from "./gateway";
import { startServe, type Served } from "./process";
import { startPrivatePostgres, startPrivateRedis, type PrivateServer } from "./privateServers";
import { createTestSchema } from "./pg";
import { dropPrefix, testRedisUrl, uniquePrefix } from "./redisMode";

const root = join(import.meta.dir, "../..");

/** The priced model every cluster offers (the fake's chat usage: 11 input and 7 output tokens). */
export const CLUSTER_MODEL = "fine";

export interface Instance {
  /** "A", "B", "C", … */
  name: string;
  url: string;
  served: Served;
  /** Everything this instance wrote to stdout and stderr so far, over all its runs. */
  output(): string;
  /** kill -9: no drain, no flush. */
  kill9(): Promise<void>;
  /** SIGTERM (drains and flushes), then the exit code. */
  stop(): Promise<number>;
  /** Start it again (after `kill9` or `stop`) on a new port, with the same config. */
  restart(): Promise<void>;
}

export interface Cluster {
  dir: string;
  /** What the instances were given as `database.url`, `redis.url` and `redis.prefix`. */
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  fake: FakeUpstream;
  instances: Instance[];
  /** The instances in turn, one request each: A, B, C, A, … */
  next(): Instance;
  /** `fetch` to the next instance in turn. */
  fetch(path: string, init?: RequestInit): Promise<Response & { instance: string }>;
  /** `kriora <args> --json` against the cluster's database, parsed; throws with stderr when it fails. */
  cli(...args: string[]): any;
  /** Everything every instance wrote, by instance name ("A", …), and every CLI run ("cli accounts create"). */
  outputs(): Map<string, string>;
  /** SIGTERM every instance still running, stop the fake upstream, delete the folder. */
  stop(): Promise<void>;
}

interface ClusterOptions {
  instances: number;
  databaseUrl: string;
  redisUrl: string;
  /** Every Redis key of the cluster starts with it (`redis.prefix`; Kriora's default otherwise). */
  redisPrefix?: string;
  /** Further TOML (tables after the cluster's own: [billing], [limits] …). */
  toml?: string;
  /** Further lines of the `[server]` table. */
  server?: string;
  /** Further environment for every process. */
  env?: Record<string, string>;
  /** The instances' calls to Stripe go to this fake (tests/helpers/stripeRedirect.ts); asked for when the cluster starts. */
  stripe?: () => FakeStripe;
}

/**
 * `n` real `kriora serve` processes (`bun src/main.ts serve`) on one PostgreSQL and one Redis,
 * in front of one fake upstream. They share the config and the master key file (as machines of
 * one deployment share their copies of it). The database is migrated once, by
 * `kriora migrate`, before they start.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "kriora-cluster-"));
  const fake = startFakeUpstream();
  const redisPrefix = opts.redisPrefix ?? "kriora:";
  const config = join(dir, "kriora.toml");
  writeFileSync(
    config,
    [
      `[server]\nport = 0\nshutdown_grace_s = 5\n${opts.server ?? ""}`,
      // No --data: it would give each process a master key of its own. In PostgreSQL mode the
      // SQLite path only holds the serving marks (db/serveLock.ts).
      `[database]\npath = "${join(dir, "data", "kriora.db")}"`,
      `[security]\nmaster_key_file = "${join(dir, "data", "master.key")}"`,
      opts.toml?.includes("[limits]") ? "" : `[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0`,
      providerToml({ id: "oa", kind: "openai", url: fake.url }),
      `[[models]]\nid = "${CLUSTER_MODEL}"\nprovider = "oa"\nupstream = "${CLUSTER_MODEL}"\ninput_usd_per_mtok = 1000\noutput_usd_per_mtok = 2000`,
      opts.toml ?? "",
    ].join("\n"),
  );
  const env = {
    KRIORA_DATABASE_URL: opts.databaseUrl,
    KRIORA_REDIS_URL: opts.redisUrl,
    KRIORA_REDIS_PREFIX: redisPrefix,
    // While Redis is down each instance allows rpm/tpm ÷ this.
    KRIORA_REDIS_INSTANCES: String(opts.instances),
    FAKE_OPENAI_KEY: PROVIDER_KEYS.openai,
    TMPDIR: dir,
    // Billing modes other than off need the Stripe secrets (prepaid's checkout, metered's meter).
    ...STRIPE_ENV,
    ...(opts.stripe ? { KRIORA_TEST_STRIPE_URL: `http://127.0.0.1:${opts.stripe().endpoint.port}` } : {}),
    ...opts.env,
  };
  const cliOutputs = new Map<string, string>();
  const cli = (...args: string[]) => {
    const run = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), ...args, "--json", "--config", config], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
    });
    const name = `cli ${args.slice(0, 2).join(" ")}`;
    cliOutputs.set(name, (cliOutputs.get(name) ?? "") + run.stdout.toString() + run.stderr.toString());
    if (run.exitCode !== 0)
      throw new Error(`kriora ${args.slice(0, 2).join(" ")} failed (${run.exitCode}): ${run.stderr.toString()}`);
    const out = run.stdout.toString().trim();
    return out ? JSON.parse(out) : null;
  };
  mkdirSync(join(dir, "data"), { mode: 0o700 });

  const instances: Instance[] = [];
  const cluster: Cluster = {
    dir,
    databaseUrl: opts.databaseUrl,
    redisUrl: opts.redisUrl,
    redisPrefix,
    fake,
    instances,
    next: () => {
      const instance = instances[turn++ % instances.length]!;
      return instance;
    },
    async fetch(path, init) {
      const instance = cluster.next();
      const res = await fetch(`${instance.url}${path}`, init);
      return Object.assign(res, { instance: instance.name });
    },
    cli,
    outputs: () => new Map([...instances.map((i): [string, string] => [i.name, i.output()]), ...cliOutputs]),
    async stop() {
      await Promise.all(instances.map((i) => i.stop()));
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  let turn = 0;
  const spawn = (name: string) =>
    startServe(
      [
        process.execPath,
        "--preload",
        join(import.meta.dir, "stripeRedirect.ts"),
        join(root, "src/main.ts"),
        "serve",
        "--config",
        config,
      ],
      dir,
      { ...env, KRIORA_TEST_INSTANCE: name },
    );
  // A cluster that cannot start (or is not on PostgreSQL and Redis) leaves nothing behind.
  try {
    cli("migrate");
    await expectOnPostgres(opts.databaseUrl, join(dir, "data", "kriora.db"));
    for (let i = 0; i < opts.instances; i++) {
      const name = String.fromCharCode(65 + i);
      let served = await spawn(name);
      let earlier = "";
      let running = true;
      const instance: Instance = {
        name,
        get url() {
          return served.url;
        },
        get served() {
          return served;
        },
        output: () => earlier + served.stdout() + served.stderr(),
        async kill9() {
          served.proc.kill("SIGKILL");
          await served.stop();
          running = false;
        },
        async stop() {
          if (!running) return 0;
          running = false;
          return served.stop();
        },
        async restart() {
          if (running) await instance.stop();
          earlier = instance.output();
          served = await spawn(name);
          running = true;
        },
      };
      instances.push(instance);
    }
    await expectOnPostgres(opts.databaseUrl, join(dir, "data", "kriora.db"));
    await expectOnRedis(opts.redisUrl, redisPrefix);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/**
 * The cluster's processes keep their data in PostgreSQL: `kriora migrate` made the tables there,
 * and nobody opened a SQLite file at `database.path` (a cluster that fell back to one shared
 * SQLite file would pass most of these tests without testing PostgreSQL mode at all).
 */
async function expectOnPostgres(url: string, sqlitePath: string) {
  const sql = new SQL(url);
  try {
    const [row] = await sql`SELECT count(*)::int AS n FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_name = 'accounts'`;
    if (row.n !== 1) throw new Error("kriora migrate made no tables at database.url: the cluster is not on PostgreSQL");
  } finally {
    await sql.close();
  }
  if (existsSync(sqlitePath)) throw new Error(`a process opened SQLite at ${sqlitePath} instead of PostgreSQL`);
}

/** The instances share state through Redis: by the time they listen, one of them holds the jobs lock there. */
async function expectOnRedis(url: string, prefix: string) {
  const client = new RedisClient(url);
  const keys = async () =>
    ((await client.send("SCAN", ["0", "MATCH", `${prefix}*`, "COUNT", "10000"])) as [string, string[]])[1];
  try {
    const deadline = Date.now() + 10_000;
    while ((await keys()).length === 0) {
      if (Date.now() > deadline) throw new Error("the instances wrote nothing to Redis: the cluster is not on Redis");
      await Bun.sleep(100);
    }
  } finally {
    client.close();
  }
}

/** A chat completion of the cluster's model with `key`, to whichever instance `send` picks. */
export function chat(key: string, extra: Record<string, unknown> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: CLUSTER_MODEL, messages: [{ role: "user", content: "Hello" }], ...extra }),
  };
}

/** An account and a key with the `model` and `account` scopes, made with the CLI. */
export function accountWithKey(
  cluster: Cluster,
  email: string,
  flags: string[] = [],
): { accountId: string; key: string; keyId: string } {
  const account = cluster.cli("accounts", "create", "--email", email);
  const issued = cluster.cli("keys", "issue", "--account", account.id, "--scopes", "model,account", ...flags);
  return { accountId: account.id, key: issued.key, keyId: issued.id };
}

/**
 * A cluster for the tests of one file, on a schema of its own on the shared PostgreSQL and a key
 * prefix of its own on the shared Redis; all of it goes after the file's tests.
 */
export function useCluster(opts: Omit<ClusterOptions, "databaseUrl" | "redisUrl">): () => Cluster {
  const got = useFaultCluster(opts);
  return () => got().cluster;
}

export interface FaultCluster {
  cluster: Cluster;
  /** The test's own PostgreSQL, when asked for (else a schema of the shared one). */
  postgres: PrivateServer | null;
  /** The test's own Redis, when asked for (else a key prefix on the shared one). */
  redis: PrivateServer | null;
}

/**
 * As `useCluster`, with PostgreSQL and/or Redis servers of the file's own (tests/helpers/privateServers.ts)
 * that the tests may stop and start again; the shared servers are never touched.
 */
export function useFaultCluster(
  opts: Omit<ClusterOptions, "databaseUrl" | "redisUrl"> & { privatePostgres?: boolean; privateRedis?: boolean },
): () => FaultCluster {
  let got: FaultCluster | undefined;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    let postgres: PrivateServer | null = null;
    let redis: PrivateServer | null = null;
    let databaseUrl: string;
    let redisUrl: string;
    let redisPrefix: string | undefined;
    if (opts.privatePostgres) {
      const server = await startPrivatePostgres();
      postgres = server;
      cleanup.push(() => server.destroy());
      databaseUrl = server.url;
    } else {
      const schema = await createTestSchema();
      cleanup.push(() => schema.drop());
      databaseUrl = schema.url;
    }
    if (opts.privateRedis) {
      const server = await startPrivateRedis();
      redis = server;
      cleanup.push(() => server.destroy());
      redisUrl = server.url;
    } else {
      redisPrefix = uniquePrefix("multi");
      const prefix = redisPrefix;
      cleanup.push(() => dropPrefix(testRedisUrl, prefix));
      redisUrl = testRedisUrl;
    }
    const cluster = await startCluster({ ...opts, databaseUrl, redisUrl, redisPrefix });
    cleanup.push(() => cluster.stop());
    got = { cluster, postgres, redis };
  }, 60_000);
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  }, 60_000);
  return () => got!;
}

export interface Answer {
  instance: string;
  /** performance.now() when the request was sent, and when its answer had been read whole. */
  sentAt: number;
  answeredAt: number;
  /** 0 when the connection failed (the instance was gone). */
  status: number;
  /** The error code of a refusal (`error.code`), if any. */
  code: string | null;
}

interface Load {
  answers: Answer[];
  /** Stop sending; resolves once the requests in flight are answered. */
  stop(): Promise<Answer[]>;
}

/**
 * Steady traffic: `workers` loops, each sending one request at a time to `pick()` (the instances
 * in turn by default) until `stop()`, every answer recorded.
 */
export function startLoad(
  cluster: Cluster,
  init: () => RequestInit,
  { workers = 4, pick = () => cluster.next() }: { workers?: number; pick?: () => Instance } = {},
): Load {
  const answers: Answer[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const instance = pick();
      const sentAt = performance.now();
      let status = 0;
      let code: string | null = null;
      try {
        const res = await fetch(`${instance.url}/v1/chat/completions`, init());
        const text = await res.text();
        status = res.status;
        if (status !== 200) code = errorCode(text);
      } catch {
        await Bun.sleep(20);
      }
      answers.push({ instance: instance.name, sentAt, answeredAt: performance.now(), status, code });
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

function errorCode(text: string): string | null {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

/** A test that talks to a cluster (several processes, a busy machine): more than bun's default 5 s. */
export const CLUSTER_TEST_MS = 60_000;

/** Wait until `ok()` holds, checking every 100 ms; throws naming `what` after `ms`. */
export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await Bun.sleep(100);
  }
}

/** Ask `instance` with `key` until it answers 401; true when that happened before `deadlineMs` ran out. */
export async function refusedWithin(instance: Instance, key: string, deadlineMs: number): Promise<boolean> {
  const deadline = performance.now() + deadlineMs;
  do {
    const res = await fetch(`${instance.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    await res.text();
    if (res.status === 401) return true;
    await Bun.sleep(20);
  } while (performance.now() < deadline);
  return false;
}

/** A response's `x-kriora-cost-usd`, in micro-dollars. */
export const costMicros = (usd: string) => Math.round(Number(usd) * 1_000_000);

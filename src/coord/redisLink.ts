import { RedisClient } from "bun";
import { KrioraError } from "../lib/errors";
import { errorKind, type Logger } from "../lib/log";

/** What a request that needs a shared budget gets while Redis cannot be reached: 503, fail closed. */
const coordinationUnavailable = () =>
  new KrioraError("coordination_unavailable", "Shared limits are unreachable right now; try again shortly.", {
    headers: { "retry-after": "1" },
  });

type Args = readonly (string | number)[];

export interface RedisLink {
  /** Run a script (EVALSHA, EVAL when Redis lacks it); throws `coordination_unavailable` when Redis is unreachable. */
  run(script: string, keys: readonly string[], args: Args): Promise<unknown>;
  /**
   * Run a script that must happen once (a settle, a spend, a release): sent at once, and when
   * Redis does not answer, kept and retried in order until it does — unless Redis came back
   * empty (restarted without persistence): then the counters are seeded again from the database,
   * which already holds what they would add, and replaying them would count it twice.
   */
  later(script: string, keys: readonly string[], args: Args): void;
  /**
   * Listen on a channel with a connection of its own (a subscribing client cannot send other
   * commands), opened again whenever it closes; `resync` runs once each subscription is in place
   * (the first included), since what was published before it is lost.
   */
  subscribe(channel: string, listener: (message: string) => void, resync: () => void): void;
  /** Wait (a moment at most) for what `later` still has to send, then close the connections. */
  close(): Promise<void>;
}

const RETRY_MS = 500;
const CLOSE_WAIT_MS = 2_000;
const MAX_PENDING = 100_000;
const DRAIN_BATCH = 512;

/**
 * Marks this Redis's data set: the same value after a reconnect means nothing was lost. Kept for
 * 30 days after the last look, so that a gateway (or test run) that went away leaves nothing behind.
 */
const EPOCH = `redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('PEXPIRE', KEYS[1], 2592000000)
return redis.call('GET', KEYS[1])`;

/**
 * One command connection to Redis that fails fast while Redis is down (no offline queue: a
 * request waits for no one). A command that finds it closed replaces it with a new connection, at
 * most every `RETRY_MS`, so recovery needs no restart and no help from the client's own backoff.
 */
export function openRedisLink(url: string, log: Logger, epochKey: string): RedisLink {
  const options = { enableOfflineQueue: false, connectionTimeout: 1_000, autoReconnect: false };
  let client = new RedisClient(url, options);
  let connecting: Promise<void> | null = null;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let epoch: string | null = null;
  let down = false;
  let closed = false;
  const subscribers = new Set<RedisClient>();
  const shas = new Map<string, string>();
  /**
   * The scripts this connection has sent whole. The first use of a script on a connection is an
   * EVAL, which also caches it in Redis; later uses are EVALSHA. Answering a NOSCRIPT with an EVAL
   * would send that operation again after the ones made behind it (a top-up's credit landing after
   * the hold it should have funded), so a connection, new or to a restarted Redis, never relies
   * on a cache it has not filled itself.
   */
  let loaded = new Set<string>();
  /** Counts recoveries: what was queued before the last one may belong to a data set Redis lost. */
  let generation = 0;
  const pending: { script: string; keys: readonly string[]; args: Args; generation: number }[] = [];
  let retrying: Timer | null = null;
  const inFlight = new Set<Promise<unknown>>();

  const connect = (): Promise<void> => {
    if (connecting) return connecting;
    if (performance.now() - lastAttempt < RETRY_MS) return Promise.reject(new Error("Redis is not connected"));
    lastAttempt = performance.now();
    client.close();
    client = new RedisClient(url, options);
    loaded = new Set();
    connecting = client.connect().finally(() => {
      connecting = null;
    });
    return connecting;
  };
  const unavailable = (err: unknown) => {
    if (!down) log.error("coordination_unavailable", { kind: errorKind(err) });
    down = true;
    return coordinationUnavailable();
  };

  const send = async (script: string, keys: readonly string[], args: Args) => {
    if (!client.connected) await connect();
    const argv = [String(keys.length), ...keys, ...args.map(String)];
    let sha = shas.get(script);
    if (!sha) {
      sha = new Bun.CryptoHasher("sha1").update(script).digest("hex");
      shas.set(script, sha);
    }
    // One command sent before the first await: calls reach Redis in the order they were made.
    if (!loaded.has(script)) {
      loaded.add(script);
      return await client.send("EVAL", [script, ...argv]);
    }
    try {
      return await client.send("EVALSHA", [sha, ...argv]);
    } catch (err) {
      // The cache was emptied under a live connection (SCRIPT FLUSH): every script goes whole again.
      if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
      loaded = new Set([script]);
      return await client.send("EVAL", [script, ...argv]);
    }
  };

  const run = async (script: string, keys: readonly string[], args: Args) => {
    if (closed) throw coordinationUnavailable();
    try {
      const result = await send(script, keys, args);
      if (down) {
        log.info("coordination_recovered", {});
        generation++;
        down = false;
        // What waited for Redis goes now, not at the next retry: operations queue behind it.
        if (pending.length > 0 && retrying) {
          clearTimeout(retrying);
          retrying = setTimeout(() => void drain(), 0);
          retrying.unref();
        }
      }
      return result;
    } catch (err) {
      if (isRedisReply(err)) throw err;
      throw unavailable(err);
    }
  };

  /** Whether Redis still holds the data set our pending operations apply to. */
  const sameEpoch = async () => {
    const now = (await run(EPOCH, [epochKey], [crypto.randomUUID()])) as string;
    const same = epoch === null || epoch === now;
    epoch = now;
    return same;
  };

  const drain = async () => {
    retrying = null;
    if (closed) return;
    try {
      const current = generation;
      if (pending.length > 0 && !(await sameEpoch())) {
        const lost = pending.filter((op) => op.generation < current);
        log.warn("coordination_reset", { dropped: lost.length });
        pending.splice(0, pending.length, ...pending.filter((op) => op.generation >= current));
      }
    } catch {
      retrying = setTimeout(() => void drain(), RETRY_MS);
      retrying.unref();
      return;
    }
    // Sent DRAIN_BATCH at a time without waiting between them: one connection runs them in the
    // order sent, and a backlog left by an outage clears in a few round trips, not one per operation
    // (new operations queue behind it meanwhile, and a prepaid hold stays held until its settle).
    while (pending.length > 0) {
      const batch = pending.slice(0, DRAIN_BATCH);
      const results = await Promise.allSettled(batch.map((op) => run(op.script, op.keys, op.args)));
      const stopped = results.findIndex((r) => r.status === "rejected" && r.reason instanceof KrioraError);
      for (const r of results.slice(0, stopped === -1 ? results.length : stopped))
        if (r.status === "rejected") log.error("coordination_op_failed", { kind: errorKind(r.reason) });
      // Each operation is safe to send again (an id Redis remembers, or a removal): from the first
      // one Redis did not answer, all are kept for the next try.
      pending.splice(0, stopped === -1 ? batch.length : stopped);
      if (stopped !== -1) {
        retrying = setTimeout(() => void drain(), RETRY_MS);
        retrying.unref();
        return;
      }
    }
  };
  const queue = (op: (typeof pending)[number]) => {
    pending.push(op);
    if (pending.length > MAX_PENDING) {
      pending.shift();
      log.error("coordination_backlog_full", { max: MAX_PENDING });
    }
    if (pending.length === 1 && !retrying) {
      retrying = setTimeout(() => void drain(), RETRY_MS);
      retrying.unref();
    }
  };

  // The data set this link starts with (a failure here is a Redis still down: the first drain learns it).
  void sameEpoch().catch(() => undefined);

  return {
    run,
    later(script, keys, args) {
      if (closed) return;
      const op = { script, keys, args, generation };
      if (pending.length > 0 || down) return queue(op);
      const sent = run(script, keys, args).catch((err: unknown) => {
        if (err instanceof KrioraError) queue(op);
        else log.error("coordination_op_failed", { kind: errorKind(err) });
      });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
    },
    subscribe(channel, listener, resync) {
      const open = () => {
        if (closed) return;
        const sub = new RedisClient(url, { autoReconnect: false, connectionTimeout: 1_000 });
        subscribers.add(sub);
        let retried = false;
        const retry = () => {
          subscribers.delete(sub);
          if (retried || closed) return;
          retried = true;
          sub.close();
          setTimeout(open, RETRY_MS).unref();
        };
        sub.onclose = retry;
        sub.subscribe(channel, listener).then(resync).catch(retry);
      };
      open();
    },
    async close() {
      if (closed) return;
      let timer: Timer | undefined;
      const waited = new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
      await Promise.race([Promise.all([...inFlight]), waited]);
      clearTimeout(timer);
      if (pending.length > 0) log.warn("coordination_unsent", { ops: pending.length });
      closed = true;
      if (retrying) clearTimeout(retrying);
      client.close();
      for (const s of subscribers) s.close();
    },
  };
}

/** An error answered by Redis itself (a script error): a bug, not an outage. */
function isRedisReply(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === "ERR_REDIS_SERVER_ERROR" && !/^(LOADING|BUSY|MASTERDOWN|TRYAGAIN)/.test(String(message));
}

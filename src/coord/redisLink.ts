import { RedisClient } from "bun";
import { KrioraError } from "../lib/errors";
import { errorKind, type Logger } from "../lib/log";

/** What a request that needs a shared budget gets while Redis cannot be reached: 503, fail closed. */
export const coordinationUnavailable = () =>
  new KrioraError("coordination_unavailable", "Shared limits are unreachable right now; try again shortly.", {
    headers: { "retry-after": "1" },
  });

export interface RedisLink {
  /** Run a script (EVALSHA, loading it on first use); throws `coordination_unavailable` when Redis is unreachable. */
  run(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /** Run a script that must happen eventually (a settle, a spend): retried in order until Redis answers again. */
  later(script: string, keys: readonly string[], args: readonly (string | number)[]): void;
  /** Connections for the feed: a subscribing client cannot send other commands. */
  subscriber(): RedisClient;
  /** Wait (a moment at most) for what `later` still has to send, then close the connections. */
  close(): Promise<void>;
}

const RETRY_MS = 500;
const CLOSE_WAIT_MS = 2_000;
const MAX_PENDING = 100_000;

/**
 * One command connection to Redis, which fails fast while Redis is down (no offline queue: a
 * request waits for no one) and reconnects by itself; Bun gives up after `maxRetries`, so a
 * failed command also asks for a new connection, at most every `RETRY_MS`.
 */
export function openRedisLink(url: string, log: Logger): RedisLink {
  const options = { enableOfflineQueue: false, connectionTimeout: 2_000, autoReconnect: true, maxRetries: 1_000_000 };
  const client = new RedisClient(url, options);
  const subscribers: RedisClient[] = [];
  const shas = new Map<string, string>();
  let connecting: Promise<void> | null = null;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let down = false;
  let closed = false;
  const pending: { script: string; keys: readonly string[]; args: readonly (string | number)[] }[] = [];
  let retrying: Timer | null = null;
  const inFlight = new Set<Promise<unknown>>();

  const connect = (): Promise<void> => {
    if (connecting) return connecting;
    if (performance.now() - lastAttempt < RETRY_MS) return Promise.reject(new Error("Redis is not connected"));
    lastAttempt = performance.now();
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

  const run = async (script: string, keys: readonly string[], args: readonly (string | number)[]) => {
    if (closed) throw coordinationUnavailable();
    try {
      if (!client.connected) await connect();
      const argv = [String(keys.length), ...keys, ...args.map(String)];
      let sha = shas.get(script);
      if (!sha) {
        sha = new Bun.CryptoHasher("sha1").update(script).digest("hex");
        shas.set(script, sha);
      }
      // One command sent before the first await: calls reach Redis in the order they were made.
      let result: unknown;
      try {
        result = await client.send("EVALSHA", [sha, ...argv]);
      } catch (err) {
        // A Redis restarted without its script cache: load it again.
        if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
        result = await client.send("EVAL", [script, ...argv]);
      }
      if (down) log.info("coordination_recovered", {});
      down = false;
      return result;
    } catch (err) {
      if (isRedisReply(err)) throw err;
      throw unavailable(err);
    }
  };

  const drain = async () => {
    retrying = null;
    while (pending.length > 0) {
      const op = pending[0]!;
      try {
        await run(op.script, op.keys, op.args);
      } catch (err) {
        if (err instanceof KrioraError) {
          retrying = setTimeout(() => void drain(), RETRY_MS);
          retrying.unref();
          return;
        }
        log.error("coordination_op_failed", { kind: errorKind(err) });
      }
      pending.shift();
    }
  };

  return {
    run,
    later(script, keys, args) {
      const queue = () => {
        pending.push({ script, keys, args });
        if (pending.length > MAX_PENDING) {
          pending.shift();
          log.error("coordination_backlog_full", { max: MAX_PENDING });
        }
        if (pending.length === 1 && !retrying) void drain();
      };
      // Sent at once while Redis answers (one connection keeps the order); kept for later when it does not.
      if (pending.length > 0 || down) return queue();
      const sent = run(script, keys, args).catch((err: unknown) => {
        if (err instanceof KrioraError) queue();
        else log.error("coordination_op_failed", { kind: errorKind(err) });
      });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
    },
    subscriber() {
      const sub = new RedisClient(url, { ...options, enableOfflineQueue: true });
      subscribers.push(sub);
      return sub;
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

import { backupBeforeMigrating } from "../db/backup";
import { holdServeLock } from "../db/serveLock";
import { createLogger } from "../lib/log";
import { freePort, serverUrl, startServer } from "../http/serve";
import { hasAdmin } from "../accounts/admin";
import { startPrivacyJobs } from "../privacy/jobs";
import { VERSION } from "../version";
import { CliFailure, stringFlag, type Command } from "./frame";
import { WORKER_ENV, startWorkers, watchParent, workerCount } from "./workers";
import { UPSTREAM_SLOTS_ENV, upstreamSlots } from "./upstreamSlots";

/** The one start-up line when nobody can administer the server yet (it names no address). */
const FIRST_ADMIN_HINT =
  "kriora accounts create --email <your address> --admin, then kriora accounts login-link <your address> and open the URL it prints";

/** Why a second instance on one PostgreSQL database stops when there is no Redis. */
const SECOND_INSTANCE =
  "another instance already serves this database and runs its shared jobs; several instances need redis.url (KRIORA_REDIS_URL) to share limits, spend, revocations and the jobs lock";

export const coreCommands: Command[] = [
  {
    name: "serve",
    summary: "Run the HTTP server (applies migrations first). The default command.",
    help: "Before applying migrations to an existing database it copies it to backups/ beside it (database.backup_before_migrate). Applies the retention windows at start and hourly, and sends policy-change notices. Stops cleanly on SIGTERM or SIGINT: no new connections, requests in flight get `server.shutdown_grace_s` (default 30 s) to finish, then open streams end with a final error event (metered as `server_shutdown`), usage is flushed, the database is closed.",
    flags: {
      workers: {
        type: "string",
        help: "serving processes sharing the port: a number, or auto for one per core (default 1); see the README's Workers section",
      },
    },
    async run(ctx) {
      const parentPid = Number(ctx.env[WORKER_ENV] ?? 0);
      const count = parentPid ? 1 : workerCount(stringFlag(ctx, "workers"));
      const { database } = ctx.config();
      if (!parentPid && database.backup_before_migrate)
        backupBeforeMigrating(database.path, new Date(), createLogger());
      const deps = await ctx.deps();
      // With Redis, of several instances only the holder of the jobs lock runs them; the others take
      // it over when its holder stops renewing it (stopped, or killed without releasing it). Without
      // Redis on PostgreSQL, a second instance stops here: it would not share limits or revocations.
      const jobs = parentPid ? null : deps.coord.leader("jobs");
      if (jobs && !(await jobs.acquire()) && deps.coord.kind === "memory") {
        await jobs.release();
        throw new CliFailure(SECOND_INSTANCE);
      }
      const lock = holdServeLock(database.path);
      // Workers only serve; the retention jobs and the billing sender run once, in their parent.
      const port = count > 1 ? freePort(deps.config.server) : 0;
      const workers = count > 1 ? startWorkers(count, port) : null;
      const running = workers ? null : startServer(deps, { sharedPort: parentPid > 0 });
      const privacy = jobs ? startPrivacyJobs(deps, jobs.held) : null;
      if (jobs) deps.billing.start(jobs.held);
      // Signals are handled before "listening" is logged: a supervisor may stop us as soon as it reads it.
      let code = 0;
      const stopped = new Promise<void>((resolve) => {
        let stopping = false;
        // SIGTERM and SIGINT may both arrive (a supervisor, then a Ctrl-C): stop once.
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          deps.log.info("stopping", { signal });
          const done = workers
            ? workers.stop().then((c) => void (code ||= c))
            : running!.stop(deps.config.server.shutdown_grace_s * 1000);
          void done.then(resolve);
        };
        process.on("SIGTERM", () => stop("SIGTERM"));
        process.on("SIGINT", () => stop("SIGINT"));
        if (parentPid) watchParent(parentPid, () => stop("parent_gone"));
        void workers?.lost.then((c) => {
          deps.log.error("worker_exited", { code: c });
          stop("worker_exited");
          code = 1;
        });
      });
      if (parentPid) {
        process.send?.({ listening: true });
        deps.log.info("worker_listening", { pid: process.pid });
      } else {
        const ok = await (workers?.ready.then(
          () => true,
          () => false,
        ) ?? true);
        const slots = upstreamSlots(process.env);
        if (ok)
          deps.log.info("listening", {
            url: running?.url ?? serverUrl(deps.config.server, port),
            version: VERSION,
            billing: deps.billing.mode,
            upstream_slots: slots,
            workers: count,
            database: deps.config.database.path,
            master_key_file: deps.config.security.master_key_file,
          });
        if (slots <= 256) deps.log.warn("few_upstream_slots", { upstream_slots: slots, set: UPSTREAM_SLOTS_ENV });
        if (!(await hasAdmin(deps))) deps.log.info("no_admin_yet", { first_admin: FIRST_ADMIN_HINT });
      }
      await stopped;
      await privacy?.stop();
      await deps.usageWriter.close();
      await deps.billing.stop();
      await jobs?.release();
      await deps.coord.close();
      await deps.tracing.shutdown();
      deps.handle.close();
      lock.release();
      return code;
    },
  },
  {
    name: "migrate",
    summary: "Apply the embedded database migrations and print the schema version.",
    async run(ctx) {
      const { handle } = await ctx.deps();
      const status = await handle.migrate();
      ctx.emit({ version: status.version, applied: status.applied, pending: status.pending });
      ctx.say(`schema ${status.version} (${status.applied} migrations applied)`);
    },
  },
  {
    name: "version",
    summary: "Print the Kriora version.",
    run(ctx) {
      ctx.emit({ version: VERSION });
      ctx.say(`kriora ${VERSION}`);
    },
  },
  {
    name: "config check",
    summary: "Validate the configuration and print it (secrets are read from env and never printed).",
    run(ctx) {
      const config = ctx.config();
      // A password inside database.url or redis.url is a secret too.
      const shown = {
        ...config,
        database: { ...config.database, url: withoutPassword(config.database.url) },
        redis: { ...config.redis, url: withoutPassword(config.redis.url) },
      };
      ctx.emit(shown);
      ctx.say(JSON.stringify(shown, null, 2));
    },
  },
];

/** `redis://:secret@cache:6379/0` → `redis://:***@cache:6379/0`; anything unparsable stays as configured (it has no password to find). */
function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "***";
    return u.href;
  } catch {
    return url;
  }
}

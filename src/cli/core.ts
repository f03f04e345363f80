import { backupBeforeMigrating } from "../db/backup";
import { migrate } from "../db/migrate";
import { holdServeLock } from "../db/serveLock";
import { createLogger } from "../lib/log";
import { startServer } from "../http/serve";
import { hasAdmin } from "../accounts/admin";
import { startPrivacyJobs } from "../privacy/jobs";
import { VERSION } from "../version";
import type { Command } from "./frame";
import { UPSTREAM_SLOTS_ENV, upstreamSlots } from "./upstreamSlots";

/** The one start-up line when nobody can administer the server yet (it names no address). */
const FIRST_ADMIN_HINT = "kriora accounts create --email <your address> --admin, then kriora accounts login-link <your address> and open the URL it prints";

export const coreCommands: Command[] = [
  {
    name: "serve",
    summary: "Run the HTTP server (applies migrations first). The default command.",
    help: "Before applying migrations to an existing database it copies it to backups/ beside it (database.backup_before_migrate). Applies the retention windows at start and hourly, and sends policy-change notices. Stops cleanly on SIGTERM or SIGINT: no new connections, requests in flight get `server.shutdown_grace_s` (default 30 s) to finish, then open streams end with a final error event (metered as `server_shutdown`), usage is flushed, the database is closed.",
    async run(ctx) {
      const { database } = ctx.config();
      if (database.backup_before_migrate) backupBeforeMigrating(database.path, new Date(), createLogger());
      const deps = ctx.deps();
      const lock = holdServeLock(database.path);
      const running = startServer(deps);
      deps.billing.start();
      const privacy = startPrivacyJobs(deps);
      // Signals are handled before "listening" is logged: a supervisor may stop us as soon as it reads it.
      const stopped = new Promise<void>((resolve) => {
        let stopping = false;
        // SIGTERM and SIGINT may both arrive (a supervisor, then a Ctrl-C): stop once.
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          deps.log.info("stopping", { signal });
          void running.stop(deps.config.server.shutdown_grace_s * 1000).then(resolve);
        };
        process.on("SIGTERM", () => stop("SIGTERM"));
        process.on("SIGINT", () => stop("SIGINT"));
      });
      const slots = upstreamSlots(process.env);
      deps.log.info("listening", {
        url: running.url,
        version: VERSION,
        billing: deps.billing.mode,
        upstream_slots: slots,
        database: deps.config.database.path,
        master_key_file: deps.config.security.master_key_file,
      });
      if (slots <= 256) deps.log.warn("few_upstream_slots", { upstream_slots: slots, set: UPSTREAM_SLOTS_ENV });
      if (!hasAdmin(deps)) deps.log.info("no_admin_yet", { first_admin: FIRST_ADMIN_HINT });
      await stopped;
      await privacy.stop();
      deps.metering.usage.close();
      await deps.billing.stop();
      await deps.tracing.shutdown();
      deps.handle.close();
      lock.release();
      return 0;
    },
  },
  {
    name: "migrate",
    summary: "Apply the embedded database migrations and print the schema version.",
    run(ctx) {
      const { handle } = ctx.deps();
      const status = migrate(handle.sqlite);
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
      ctx.emit(config);
      ctx.say(JSON.stringify(config, null, 2));
    },
  },
];

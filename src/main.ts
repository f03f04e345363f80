import { runCli } from "./cli/run";

// Data files (database, WAL, master key) are for this user alone.
process.umask(0o077);
process.exitCode = await runCli(process.argv.slice(2));

import { runCli } from "./cli/run";

// Data files (database, WAL, master key) are for this user alone.
process.umask(0o077);
// `kriora keys list --json | head`: the reader has gone away, which is not a failure of ours.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});
process.exitCode = await runCli(process.argv.slice(2));

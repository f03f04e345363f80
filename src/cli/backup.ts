import { existsSync, renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { openKey, sealKey } from "../crypto/keyEnvelope";
import { loadOrCreateMasterKey } from "../crypto/masterKey";
import { openDatabase } from "../db/client";
import { inspectBackup, restoreDatabase } from "../db/backup";
import { servingPids } from "../db/serveLock";
import { CliFailure, requireFlag, UsageError, type CliContext, type Command } from "./frame";

/** Where `--with-key` and `restore` read the passphrase; without it, the first line of stdin. */
const PASSPHRASE_ENV = "KRIORA_BACKUP_PASSPHRASE";
const MIN_PASSPHRASE = 12;

async function passphrase(ctx: CliContext): Promise<string> {
  const value = ctx.env[PASSPHRASE_ENV] ?? (await ctx.readLine()) ?? "";
  if (value.length < MIN_PASSPHRASE)
    throw new CliFailure(
      `the backup passphrase must be at least ${MIN_PASSPHRASE} characters (${PASSPHRASE_ENV} or the first line of stdin)`,
    );
  return value;
}

export const backupCommands: Command[] = [
  {
    name: "backup",
    summary: "Write a consistent copy of the database while serve runs (new file, mode 0600).",
    help: `The copy does not contain the master key, without which its encrypted fields cannot be read: back up master.key separately, or pass --with-key to include it sealed under a passphrase (read from ${PASSPHRASE_ENV}, else from the first line of stdin; at least ${MIN_PASSPHRASE} characters).`,
    flags: {
      out: { type: "string", help: "the backup file to create (never overwritten)" },
      "with-key": { type: "boolean", help: "include the master key, encrypted under a passphrase" },
    },
    async run(ctx) {
      const out = resolve(requireFlag(ctx, "out"));
      const { database, security } = ctx.config();
      if (!existsSync(database.path)) throw new CliFailure(`no database at ${database.path}`);
      const sealed =
        ctx.flags["with-key"] === true
          ? sealKey(loadOrCreateMasterKey(security.master_key_file), await passphrase(ctx))
          : undefined;
      const handle = openDatabase(database.path);
      try {
        await handle.backup(out, sealed);
      } finally {
        handle.close();
      }
      ctx.emit({ file: out, with_key: sealed !== undefined });
      ctx.say(`backup written to ${out}`);
      if (!sealed)
        ctx.note(
          `reminder: this backup does not hold the master key; back up ${security.master_key_file} separately (or use --with-key)`,
        );
    },
  },
  {
    name: "restore",
    summary: "Replace the database with a backup (refused while serve runs on it).",
    args: "<file>",
    help: `If the backup was made with --with-key, its master key is restored too (passphrase from ${PASSPHRASE_ENV}, else the first line of stdin). Otherwise the master key that was in use when the backup was made must already be in place.`,
    async run(ctx) {
      const [file, extra] = ctx.args;
      if (!file || extra !== undefined) throw new UsageError("expected exactly one <file>");
      const { database, security } = ctx.config();
      const pids = servingPids(database.path);
      if (pids.length > 0)
        throw new CliFailure(
          `kriora serve (pid ${pids.join(", ")}) is using ${database.path}: stop it before restoring`,
        );
      const { sealed } = inspectBackup(resolve(file));
      const key = sealed ? openKey(sealed, await passphrase(ctx)) : null;
      if (sealed && !key) throw new CliFailure("wrong passphrase for the key in this backup");
      if (existsSync(database.path) && !(await ctx.confirm(`Replace the database at ${database.path} with ${file}?`)))
        throw new CliFailure("not restored");
      restoreDatabase(resolve(file), database.path);
      if (key) {
        const staging = `${security.master_key_file}.restoring`;
        writeFileSync(staging, key, { mode: 0o600 });
        renameSync(staging, security.master_key_file);
      }
      ctx.emit({ restored: database.path, master_key: key ? "restored" : "unchanged" });
      ctx.say(`restored ${database.path} from ${file}`);
      if (!key && !existsSync(security.master_key_file))
        ctx.note(
          `no master key at ${security.master_key_file}: put the one from when this backup was made there before starting serve`,
        );
    },
  },
];

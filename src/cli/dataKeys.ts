import { addMasterKey } from "../crypto/masterKey";
import { servingPids } from "../db/serveLock";
import { rotateDataKeys } from "../privacy/dataKeyRotation";
import { CliFailure, type Command } from "./frame";

/** Per-account data keys (crypto-shredding); rotation is audited with actor `cli`. */
export const dataKeyCommands: Command[] = [
  {
    name: "datakeys rotate",
    summary: "Re-wrap every account's data key under the newest master key (audited).",
    help: "The master key file (security.master_key_file) is a keyring: 32 bytes per key, oldest first; the newest wraps. Data keys and the fields they encrypt are unchanged; only their wrapping moves to the newest master key. --add-master-key appends a fresh key to the file first (refused while serve runs on this database: serve reads the keyring at start). With several instances, put the longer key file on every instance and restart them before running rotate. Older master keys stay in the file: the blind index and earlier field ciphertexts are under the first.",
    flags: {
      "add-master-key": { type: "boolean", help: "append a new master key to the key file, then re-wrap under it" },
    },
    async run(ctx) {
      const { database, security } = ctx.config();
      let added: string | undefined;
      if (ctx.flags["add-master-key"]) {
        const pids = servingPids(database.path);
        if (pids.length > 0)
          throw new CliFailure(
            `kriora serve (pid ${pids.join(", ")}) is using ${database.path}: stop it before adding a master key`,
          );
        added = addMasterKey(security.master_key_file);
      }
      const report = await rotateDataKeys(await ctx.deps(), "cli");
      ctx.emit({ ...report, master_key_added: added ?? null });
      if (added) ctx.say(`added master key ${added} to ${security.master_key_file}`);
      ctx.say(
        `${report.rewrapped} of ${report.keys} data keys re-wrapped; all are under master key ${report.master_key}`,
      );
    },
  },
];

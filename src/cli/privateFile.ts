import { closeSync, constants, fchmodSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { CliFailure } from "./frame";

const EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * A file only its owner can read (an export holds emails and IP addresses), created and never
 * reused: O_CREAT|O_EXCL fails on anything already at the path, a symlink included, so neither an
 * existing file's looser mode nor a symlink's target is ever written. `replace` (--force) writes a
 * fresh 0600 file beside it and renames it over the path, which replaces a symlink, not its target.
 * `produce` runs once the path is secured, so a refused path costs nothing.
 */
export async function writePrivateFile(path: string, replace: boolean, produce: () => Promise<string>): Promise<void> {
  const target = replace ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`) : path;
  const fd = openExclusive(target, path);
  try {
    try {
      fchmodSync(fd, 0o600);
      writeFileSync(fd, await produce());
    } finally {
      closeSync(fd);
    }
    if (replace) renameSync(target, path);
  } catch (err) {
    rmSync(target, { force: true });
    throw err;
  }
}

function openExclusive(target: string, shown: string): number {
  try {
    return openSync(target, EXCLUSIVE, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new CliFailure(`${shown} already exists: choose another path or pass --force to replace it`);
    throw new CliFailure(`cannot create ${shown} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

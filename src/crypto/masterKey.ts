import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}

const KEY_BYTES = 32;

/**
 * Read the master key file, creating it (one 32-byte key, mode 0600) on first start. The file is
 * a keyring: 32 bytes per key, oldest first (`kriora datakeys rotate --add-master-key` appends one).
 * A key file that the group or others may read is refused (Policy §9): the fix is `chmod 600`, not
 * a silent repair.
 */
export function loadOrCreateMasterKey(path: string): Uint8Array {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32), { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new MasterKeyError(
      `master key ${path} is readable by group or others (mode ${mode.toString(8).padStart(3, "0")}); run: chmod 600 ${path}`,
    );
  }
  const key = readFileSync(path);
  if (key.length === 0 || key.length % KEY_BYTES !== 0)
    throw new MasterKeyError(
      `master key ${path} must hold 32 bytes per key (exactly 32 for one key; it holds ${key.length})`,
    );
  return new Uint8Array(key);
}

/** The keys of a master key file, `k1` (the first) to `kN` (the newest). */
export function masterKeyring(file: Uint8Array): { keys: { id: string; key: Uint8Array }[] } {
  const keys = [];
  for (let at = 0; at < file.length; at += KEY_BYTES)
    keys.push({ id: `k${at / KEY_BYTES + 1}`, key: file.slice(at, at + KEY_BYTES) });
  return { keys };
}

/**
 * Append a fresh master key to the file (written beside it, then renamed into place, so a crash
 * leaves the old file or the new one). Returns the new key's id.
 */
export function addMasterKey(path: string): string {
  const file = loadOrCreateMasterKey(path);
  const staging = `${path}.adding`;
  writeFileSync(staging, Buffer.concat([file, randomBytes(KEY_BYTES)]), { mode: 0o600 });
  chmodSync(staging, 0o600);
  renameSync(staging, path);
  return `k${file.length / KEY_BYTES + 1}`;
}

import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}

/**
 * Read the 32-byte master key, creating it (mode 0600) on first start. A key file that the
 * group or others may read is refused (Policy §9): the fix is `chmod 600`, not a silent repair.
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
  if (key.length !== 32)
    throw new MasterKeyError(`master key ${path} must hold exactly 32 bytes (it holds ${key.length})`);
  return new Uint8Array(key);
}

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Marks a database as in use by a running `serve`: one file per serving process in
 * `<database>.serving/`, named by its pid (several instances may share one database). `restore`
 * refuses while any of them is alive; files of processes that died are ignored and cleared.
 */
export function holdServeLock(dbPath: string): { release(): void } {
  const dir = `${dbPath}.serving`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, String(process.pid));
  writeFileSync(file, "", { mode: 0o600 });
  return { release: () => rmSync(file, { force: true }) };
}

/** The pids of live `serve` processes using this database. */
export function servingPids(dbPath: string): number[] {
  const dir = `${dbPath}.serving`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0)
    .filter((pid) => {
      if (alive(pid)) return true;
      rmSync(join(dir, String(pid)), { force: true });
      return false;
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

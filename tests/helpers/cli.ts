import { runCli } from "../../src/cli/run";
import { databaseEnv } from "./pg";

/**
 * `kriora <args> --data <dataDir>` in-process, capturing both streams, with no environment but
 * the data dir's database (its PostgreSQL schema in PostgreSQL mode).
 */
export async function runKriora(dataDir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const captured = { out: "", err: "" };
  const code = await runCli([...args, "--data", dataDir], {
    out: (t) => void (captured.out += t),
    err: (t) => void (captured.err += t),
    env: await databaseEnv(dataDir),
  });
  return { code, ...captured };
}

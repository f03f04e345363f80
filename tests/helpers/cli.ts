import { runCli } from "../../src/cli/run";

/** `kriora <args> --data <dataDir>` in-process, with no environment, capturing both streams. */
export async function runKriora(dataDir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const captured = { out: "", err: "" };
  const code = await runCli([...args, "--data", dataDir], {
    out: (t) => void (captured.out += t),
    err: (t) => void (captured.err += t),
    env: {},
  });
  return { code, ...captured };
}

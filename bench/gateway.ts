import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startChild, runCommand, type Child } from "./procs";
import { FLOOD_MODEL, MODEL } from "./shape";

/** Limits generous enough never to refuse the bench's load, but set, so every request is checked. */
const RPM = 100_000_000;
const TPM = 100_000_000_000;
const CONCURRENCY = 20_000;

export interface Gateway extends Child {
  /** The `kr_…` key issued to the bench account by `kriora keys issue`. */
  key: string;
  /** Its data dir (database file and master key). */
  data: string;
}

/** The bench `kriora.toml`: one provider at the fake upstream, priced models, generous limits. */
export function configToml(upstreamUrl: string): string {
  const model = (id: string) =>
    `[[models]]\nid = "${id}"\nprovider = "bench"\nupstream = "${id}"\ninput_usd_per_mtok = 0.15\noutput_usd_per_mtok = 0.6\n`;
  return [
    `[server]\nhost = "127.0.0.1"\nport = 0\n`,
    `[limits]\nrpm = ${RPM}\ntpm = ${TPM}\nconcurrency = ${CONCURRENCY}\n`,
    `[[providers]]\nid = "bench"\nkind = "openai"\nbase_url = "${upstreamUrl}/v1"\napi_key_env = "BENCH_PROVIDER_KEY"\n`,
    model(MODEL),
    model(FLOOD_MODEL),
  ].join("\n");
}

/**
 * Kriora as a user runs it: `kriora serve` in its own process with a fresh data dir, auth, limits
 * and metering on. The account and its key come from the CLI, as an operator would make them.
 * `profileDir` runs it under `bun --cpu-prof`, the profile written there when it stops; `env`
 * is added to its environment; `wrap` goes before the command (a profiler such as valgrind),
 * `command` replaces it (the compiled binary), and `startMs` is how long it may take to listen; `args` are added to `serve` (`--workers 2`).
 * `toml` is added to its config (`[database]`, `[redis]`); `sameAs` shares a running gateway's data
 * dir and key (another instance on the same database) instead of making an account of its own.
 */
export async function startGateway(
  upstreamUrl: string,
  dir: string,
  name: string,
  opts: {
    profileDir?: string;
    env?: Record<string, string>;
    wrap?: string[];
    /** What runs `serve` (default: this Bun on src/main.ts, as `npm start` does), e.g. a compiled binary. */
    command?: string[];
    startMs?: number;
    args?: string[];
    toml?: string;
    sameAs?: Gateway;
  } = {},
): Promise<Gateway> {
  const { profileDir } = opts;
  const config = join(dir, `${name}.toml`);
  const data = opts.sameAs?.data ?? join(dir, `${name}-data`);
  writeFileSync(config, [configToml(upstreamUrl), opts.toml ?? ""].join("\n"));
  const key = opts.sameAs?.key ?? (await issueKey(config, data));
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = await startChild(
    name,
    [
      ...(opts.wrap ?? []),
      ...(opts.command ?? [process.execPath, ...profile, "src/main.ts"]),
      "serve",
      "--config",
      config,
      "--data",
      data,
      ...(opts.args ?? []),
    ],
    dir,
    /"event":"listening","url":"([^"]+)"/,
    {
      BENCH_PROVIDER_KEY: "sk-bench-not-a-secret",
      ...opts.env,
    },
    opts.startMs,
  );
  return { ...child, key, data };
}

/** Create the bench account and issue its key with the CLI, as an operator would. */
async function issueKey(config: string, data: string): Promise<string> {
  const cli = (...args: string[]) =>
    runCommand([process.execPath, "src/main.ts", ...args, "--config", config, "--data", data, "--json"]);
  await cli("accounts", "create", "--email", "bench@example.com");
  const issued = JSON.parse(
    await cli(
      "keys",
      "issue",
      "--account",
      "bench@example.com",
      "--name",
      "bench",
      "--rpm",
      String(RPM),
      "--tpm",
      String(TPM),
    ),
  ) as { key: string };
  return issued.key;
}

import { ConfigError, loadConfig } from "../config/load";
import type { Config } from "../config/schema";
import { MasterKeyError } from "../crypto/masterKey";
import { BackupError } from "../db/backup";
import { openDeps, type Deps } from "../deps";
import { createLogger } from "../lib/log";
import { BindError } from "../http/serve";
import { KrioraError } from "../lib/errors";
import { accountCommands } from "./accounts";
import { abuseCommands } from "./abuse";
import { auditCommands } from "./audit";
import { coreCommands } from "./core";
import { creditCommands } from "./credits";
import { dataKeyCommands } from "./dataKeys";
import { backupCommands } from "./backup";
import { usageCommands } from "./usage";
import { keyCommands } from "./keys";
import { privacyCommands } from "./privacy";
import { rightsCommands } from "./rights";
import { CliFailure, UsageError, type CliContext, type Command, type FlagSpec } from "./frame";

/** Every command of the binary, one group per file of cli/. */
export const commands: Command[] = [
  ...coreCommands,
  ...auditCommands,
  ...accountCommands,
  ...keyCommands,
  ...usageCommands,
  ...abuseCommands,
  ...creditCommands,
  ...rightsCommands,
  ...privacyCommands,
  ...backupCommands,
  ...dataKeyCommands,
];

const globalFlags: Record<string, FlagSpec> = {
  config: { type: "string", help: "config file (default ./kriora.toml if present)" },
  data: { type: "string", help: "data directory: database and master key go here" },
  json: { type: "boolean", help: "machine output: exactly one JSON document on stdout" },
  yes: { type: "boolean", help: "confirm a destructive command without a prompt" },
  help: { type: "boolean", help: "show help (also -h); `--version` prints the version" },
};

interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env?: Record<string, string | undefined>;
  isTTY?: boolean;
}

const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdin.isTTY),
};

/** Parse argv, run the command, return the exit code: 0 ok, 1 failure, 2 usage error. */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const { command, rest } = findCommand(argv.map(spelledOut));
  let parsed: ReturnType<typeof parseFlags> | undefined;
  try {
    parsed = parseFlags(rest, { ...globalFlags, ...command?.flags });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`kriora: ${err.message}\n\n${command ? commandHelp(command) : overview()}`);
    return 2;
  }
  if (!command) {
    if (parsed.flags.help || argv.length === 0 || argv[0] === "help") {
      io.out(overview());
      return 0;
    }
    io.err(
      `kriora: unknown command "${argv
        .filter((a) => !a.startsWith("-"))
        .slice(0, 2)
        .join(" ")}"\n\n${overview()}`,
    );
    return 2;
  }
  if (parsed.flags.help) {
    io.out(commandHelp(command));
    return 0;
  }
  const ctx = makeContext(parsed, io, command.name === "serve");
  try {
    const code = await command.run(ctx);
    ctx.flush();
    return code ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`kriora ${command.name}: ${err.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    // A KrioraError's message is written to be shown to whoever made the request.
    if (
      err instanceof CliFailure ||
      err instanceof ConfigError ||
      err instanceof MasterKeyError ||
      err instanceof KrioraError ||
      err instanceof BackupError ||
      err instanceof BindError
    ) {
      io.err(`kriora ${command.name}: ${err.message}\n`);
      return 1;
    }
    io.err(`kriora ${command.name}: failed (${err instanceof Error ? err.name : "error"})\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}

/** `-h` is `--help`; `--version` and `-V` are the `version` command. */
function spelledOut(arg: string): string {
  if (arg === "-h") return "--help";
  if (arg === "--version" || arg === "-V") return "version";
  return arg;
}

/**
 * The command is spelled by the first one or two words that are not flags or flag values, so
 * `kriora --data d migrate` and `kriora migrate --data d` are the same. No words means `serve`.
 */
function findCommand(argv: string[]): { command?: Command; rest: string[] } {
  const valued = new Set(
    [globalFlags, ...commands.map((c) => c.flags ?? {})].flatMap((spec) =>
      Object.entries(spec)
        .filter(([, f]) => f.type === "string")
        .map(([n]) => n),
    ),
  );
  const wordAt: number[] = [];
  for (let i = 0; i < argv.length && wordAt.length < 2; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (!a.startsWith("--")) wordAt.push(i);
    else if (!a.includes("=") && valued.has(a.slice(2))) i++;
  }
  for (let n = wordAt.length; n >= 1; n--) {
    const name = wordAt
      .slice(0, n)
      .map((i) => argv[i])
      .join(" ");
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.filter((_, i) => !wordAt.slice(0, n).includes(i)) };
  }
  if (wordAt.length === 0 && !argv.includes("--help"))
    return { command: commands.find((c) => c.name === "serve"), rest: argv };
  return { rest: argv };
}

function parseFlags(argv: string[], spec: Record<string, FlagSpec>) {
  const flags: Record<string, string | boolean | undefined> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--")) {
      args.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name}`);
    if (s.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--")))
        throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    }
  }
  return { flags, args };
}

/**
 * `serve` logs its request lines on stdout; every other command keeps stdout for its own output
 * (one JSON document with --json) and sends log lines to stderr.
 */
function makeContext(
  parsed: ReturnType<typeof parseFlags>,
  io: CliIO,
  logsOnStdout: boolean,
): CliContext & { flush(): void; close(): Promise<void> } {
  const json = parsed.flags.json === true;
  let config: Readonly<Config> | undefined;
  let deps: Promise<Deps> | undefined;
  let emitted: { value: unknown } | undefined;
  const ctx = {
    args: parsed.args,
    flags: parsed.flags,
    json,
    config() {
      config ??= loadConfig({
        file: typeof parsed.flags.config === "string" ? parsed.flags.config : undefined,
        dataDir: typeof parsed.flags.data === "string" ? parsed.flags.data : undefined,
        env: io.env,
      });
      return config;
    },
    deps() {
      deps ??= openDeps(ctx.config(), logsOnStdout ? {} : { log: createLogger(io.err, io.err) });
      return deps;
    },
    say(line: string) {
      if (!json) io.out(line + "\n");
    },
    note(line: string) {
      io.err(line + "\n");
    },
    env: io.env ?? process.env,
    async readLine() {
      for await (const line of console) return line.replace(/\r$/, "");
      return null;
    },
    emit(value: unknown) {
      emitted = { value };
    },
    async confirm(question: string) {
      if (parsed.flags.yes === true) return true;
      if (!io.isTTY) throw new UsageError("this command changes data irreversibly: pass --yes to confirm");
      io.err(`${question} [y/N] `);
      return /^y(es)?$/i.test((await ctx.readLine())?.trim() ?? "");
    },
    flush() {
      if (json && emitted) io.out(JSON.stringify(emitted.value, null, 2) + "\n");
    },
    async close() {
      const opened = deps ? await deps.catch(() => null) : null;
      // Invalidations this command published (a revoked key, a suspension) go out before it exits.
      await opened?.coord.close();
      opened?.handle.close();
    },
  };
  return ctx;
}

function flagLines(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([name, s]) => `  --${name}${s.type === "string" ? " VALUE" : ""}`.padEnd(24) + s.help)
    .join("\n");
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "kriora — privacy-first AI API gateway",
    "",
    "Usage: kriora <command> [subcommand] [flags]     (no command: serve)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Global flags:",
    flagLines(globalFlags),
    "",
    "Exit codes: 0 ok, 1 failure, 2 usage error. `kriora <command> --help` for details.",
    "",
  ].join("\n");
}

function commandHelp(c: Command): string {
  return [
    `Usage: kriora ${c.name}${c.args ? " " + c.args : ""} [flags]`,
    "",
    c.summary,
    ...(c.help ? ["", c.help] : []),
    ...(c.flags ? ["", "Flags:", flagLines(c.flags)] : []),
    "",
    "Global flags:",
    flagLines(globalFlags),
    "",
  ].join("\n");
}

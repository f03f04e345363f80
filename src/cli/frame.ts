import type { Config } from "../config/schema";
import type { Deps } from "../deps";

/** A usage mistake: exit code 2 with the command's help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the user should read as is: exit code 1, no stack. */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliFailure";
  }
}

export interface FlagSpec {
  type: "string" | "boolean";
  help: string;
}

export interface CliContext {
  args: string[];
  flags: Record<string, string | boolean | undefined>;
  json: boolean;
  config(): Readonly<Config>;
  /** Opens (and migrates) the database on first use. */
  deps(): Promise<Deps>;
  /** Human output (suppressed with --json). */
  say(line: string): void;
  /** A reminder or warning for the person at the terminal: stderr, also with --json. */
  note(line: string): void;
  /** The environment (process.env, or what a test passes). */
  env: Record<string, string | undefined>;
  /** The first line of stdin, without its newline; null at end of input. */
  readLine(): Promise<string | null>;
  /** The one JSON document of a `--json` run. */
  emit(value: unknown): void;
  /** Destructive commands: `--yes`, or a yes typed at a terminal. */
  confirm(question: string): Promise<boolean>;
}

export interface Command {
  /** "audit verify", "migrate" … */
  name: string;
  summary: string;
  /** Positional arguments, for the help line: "<email|id>". */
  args?: string;
  flags?: Record<string, FlagSpec>;
  help?: string;
  run(ctx: CliContext): Promise<number | void> | number | void;
}

export function stringFlag(ctx: CliContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === "string" ? v : undefined;
}

export function requireFlag(ctx: CliContext, name: string): string {
  const v = stringFlag(ctx, name);
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

export function intFlag(ctx: CliContext, name: string): number | undefined {
  const v = stringFlag(ctx, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number`);
  return n;
}

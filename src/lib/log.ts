/**
 * Structured JSON lines on stdout. The field types admit only non-personal values: callers
 * pass ids, routes, statuses, counts and error *codes*, never bodies, emails, IPs or messages.
 */
type LogValue = string | number | boolean | null;
export type LogFields = Record<string, LogValue>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

type Sink = (line: string) => void;

export function createLogger(
  out: Sink = (l) => process.stdout.write(l),
  err: Sink = (l) => process.stderr.write(l),
): Logger {
  const emit = (sink: Sink, level: string, event: string, fields: LogFields = {}) =>
    sink(JSON.stringify({ t: new Date().toISOString(), level, event, ...fields }) + "\n");
  return {
    info: (event, fields) => emit(out, "info", event, fields),
    warn: (event, fields) => emit(err, "warn", event, fields),
    error: (event, fields) => emit(err, "error", event, fields),
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** What may be said of an unexpected error: its class name, never its message or stack. */
export function errorKind(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

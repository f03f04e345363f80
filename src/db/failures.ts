/** The database errors that are the caller's doing, told apart the same way for both engines. */

/** A string property of the driver's error or of the drizzle error wrapping it. */
function field(err: unknown, name: "errno" | "code"): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const value = (e as Record<string, unknown>)[name];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** PostgreSQL's SQLSTATE. */
const sqlState = (err: unknown) => field(err, "errno");

/**
 * A text value the database cannot hold: PostgreSQL refuses NUL (U+0000) in text (SQLSTATE 22021),
 * where SQLite stores it. Such a value only ever comes from a client (an id in a path, a name), so
 * it is the client's mistake, never a 500.
 */
export function isUnstorableText(err: unknown): boolean {
  return sqlState(err) === "22021";
}

/**
 * The database server is out of reach: the connection was refused, lost or timed out, or the
 * server is shutting down (SQLSTATE class 08, 57P01–57P03). The request is not at fault: 503.
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== undefined && (state.startsWith("08") || /^57P0[123]$/.test(state))) return true;
  return field(err, "code")?.startsWith("ERR_POSTGRES_CONNECTION") ?? false;
}

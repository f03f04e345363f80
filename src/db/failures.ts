/** The database errors that are the caller's doing, told apart the same way for both engines. */

/** PostgreSQL's SQLSTATE, on the driver's error or on the drizzle error wrapping it. */
function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === "string") return errno;
  }
  return undefined;
}

/**
 * A text value the database cannot hold: PostgreSQL refuses NUL (U+0000) in text (SQLSTATE 22021),
 * where SQLite stores it. Such a value only ever comes from a client (an id in a path, a name), so
 * it is the client's mistake, never a 500.
 */
export function isUnstorableText(err: unknown): boolean {
  return sqlState(err) === "22021";
}

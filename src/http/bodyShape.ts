/**
 * How deep a JSON request body may nest. Real API bodies (messages, tool schemas) stay far below;
 * a body nested thousands of levels deep makes JSON.stringify and schema checks recurse until the
 * stack runs out — seconds of CPU and a 500 per request — so it is refused before them.
 */
export const MAX_BODY_DEPTH = 256;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const OPEN_BRACE = 123;
const CLOSE_BRACKET = 93;
const CLOSE_BRACE = 125;

/**
 * Whether JSON text nests arrays and objects more than `max` levels deep: one pass over the
 * characters, skipping strings, before anything parses it (malformed text is left to the parser).
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return false;
}

const isPlainObject = (v: unknown): boolean => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Why a parsed request body is refused before validation, or null. Every JSON body of the API is
 * an object: Elysia would quietly turn a string, number or array into `{}` for a schema whose
 * fields are all optional, so a malformed request would pass as an empty one.
 */
export function bodyShapeProblem(body: unknown, contentType: string | null): string | null {
  const json = contentType?.toLowerCase().startsWith("application/json") ?? false;
  if (json && body !== undefined && !isPlainObject(body)) return "The request body must be a JSON object.";
  return null;
}

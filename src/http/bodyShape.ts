/**
 * How deep a JSON request body may nest. Real API bodies (messages, tool schemas) stay far below;
 * a body nested thousands of levels deep makes JSON.stringify and schema checks recurse until the
 * stack runs out — seconds of CPU and a 500 per request — so it is refused before them.
 */
export const MAX_BODY_DEPTH = 256;

const isContainer = (v: unknown): v is object => {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
};

/** Whether a parsed JSON value nests arrays and objects more than `max` levels deep. Iterative, so it cannot overflow itself. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (!isContainer(value)) return false;
  const stack: [object, number][] = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [node, depth] = next;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (isContainer(child)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Why a parsed request body is refused before validation, or null. Every JSON body of the API is
 * an object: Elysia would quietly turn a string, number or array into `{}` for a schema whose
 * fields are all optional, so a malformed request would pass as an empty one.
 */
export function bodyShapeProblem(body: unknown, contentType: string | null): string | null {
  const json = contentType?.toLowerCase().startsWith("application/json") ?? false;
  if (json && body !== undefined && !(isContainer(body) && !Array.isArray(body))) return "The request body must be a JSON object.";
  if (nestedDeeperThan(body, MAX_BODY_DEPTH)) return `The request body nests more than ${MAX_BODY_DEPTH} levels deep.`;
  return null;
}

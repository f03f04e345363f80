/**
 * Requests whose answer is a relayed stream, with the moment the stream ends: the request log
 * line waits for it, so its `ms` is the whole duration. Keyed by the Request, so nothing
 * outlives it.
 */
const ends = new WeakMap<Request, Promise<void>>();

export function markStream(request: Request, ended: Promise<void>): void {
  ends.set(request, ended);
}

export function streamEnd(request: Request): Promise<void> | undefined {
  return ends.get(request);
}

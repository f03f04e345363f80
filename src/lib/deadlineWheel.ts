/** Something with a deadline (an upstream attempt, a request body being read), looked at on every tick. */
export interface Ticking {
  tick(now: number): void;
}

/** A deadline fires at most this late (plus whatever holds the event loop). */
const TICK_MS = 10;

const open = new Set<Ticking>();
let timer: Timer | null = null;

const tickAll = () => {
  const now = performance.now();
  for (const t of open) t.tick(now);
};

/**
 * One shared interval for every open deadline (upstream attempts, request bodies being read),
 * instead of timers set and cleared per request (issue 15). It runs only while something is watched.
 */
export function watch(t: Ticking): void {
  open.add(t);
  if (timer) return;
  timer = setInterval(tickAll, TICK_MS);
  timer.unref();
}

export function unwatch(t: Ticking): void {
  open.delete(t);
  if (open.size > 0 || !timer) return;
  clearInterval(timer);
  timer = null;
}

/** How many deadlines are watched (tests check none is left behind). */
export const watched = (): number => open.size;

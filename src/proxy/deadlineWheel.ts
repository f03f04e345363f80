/** An open upstream attempt whose deadlines are looked at on every tick. */
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
 * One shared interval for the deadlines of every open upstream attempt, instead of two or three
 * timers set and cleared per attempt (issue 15). It runs only while attempts are open.
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

/** How many attempts are watched (tests check none is left behind). */
export const watched = (): number => open.size;

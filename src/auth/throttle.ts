import type { FieldCipher } from "../crypto/fields";
import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";

/** Fixed-window counters in memory, bounded: past `maxKeys`, finished windows are swept, then the oldest go. */
export function createThrottle(opts: { limit: number; windowMs: number; clock: Clock; maxKeys?: number }) {
  const maxKeys = opts.maxKeys ?? 50_000;
  const windows = new Map<string, { start: number; count: number }>();
  return {
    /** Count a hit; the seconds to wait when over the limit, else 0. */
    hit(key: string): number {
      const now = opts.clock.now();
      let w = windows.get(key);
      if (!w || now - w.start >= opts.windowMs) {
        windows.delete(key);
        if (windows.size >= maxKeys) sweep(now);
        w = { start: now, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      return w.count > opts.limit ? Math.ceil((w.start + opts.windowMs - now) / 1000) : 0;
    },
  };

  function sweep(now: number) {
    for (const [k, w] of windows) if (now - w.start >= opts.windowMs) windows.delete(k);
    for (const k of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(k);
    }
  }
}

const WINDOW_MS = 15 * 60_000;

/**
 * Magic-link requests per client IP and per address. Counters are keyed by HMACs of the IP and
 * the address, never the values in clear, and count every request whether or not the address
 * has an account, so the 429 reveals nothing either.
 */
export function createSignInThrottle(cipher: FieldCipher, clock: Clock) {
  const perIp = createThrottle({ limit: 20, windowMs: WINDOW_MS, clock });
  const perAddress = createThrottle({ limit: 5, windowMs: WINDOW_MS, clock });
  return (ip: string | null, email: string): void => {
    const wait = perIp.hit(cipher.blindIndex("throttle-ip", ip ?? "unknown")) || perAddress.hit(cipher.blindIndex("throttle-email", email));
    if (wait > 0) throw new KrioraError("rate_limited", "Too many sign-in requests; try again later.", { headers: { "retry-after": String(wait) } });
  };
}

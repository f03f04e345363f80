import type { FieldCipher } from "../crypto/fields";
import type { Clock } from "../lib/clock";
import { KrioraError } from "../lib/errors";

/** Fixed-window counters in memory, bounded: past `maxKeys`, finished windows are swept, then the oldest go. */
function createThrottle(opts: { limit: number; windowMs: number; clock: Clock; maxKeys?: number }) {
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
 * Sign-in emails per address and window. The window is a magic link's lifetime (15 minutes), so
 * whenever the cap holds mail back, a link mailed earlier in the same window still works: at most
 * 4 emails per address per 15 minutes, 16 an hour, and never a lockout of the owner.
 */
export const MAILS_PER_ADDRESS = 4;
const MAIL_WINDOW_MS = 15 * 60_000;

/** What a sign-in request may do: mail a link, or answer the same 202 without mailing (address at its cap). */
interface SignInDecision {
  mail: boolean;
}

/**
 * Magic-link requests (sign-up and sign-in). Refused (429) per client IP (20 per 15 minutes) and
 * per address *and* client IP (5 per 15 minutes): someone hammering a victim's address only locks
 * out their own address-and-IP pair, never the owner asking from elsewhere. The mailbox itself is
 * protected by the per-address mail cap, which never refuses: over it, the answer is the same 202
 * and nothing is sent. Counters are keyed by HMACs of the IP and the address, never the values in
 * clear, and count every request whether or not the address has an account, so neither the 429
 * nor the cap reveals anything.
 */
export function createSignInThrottle(cipher: FieldCipher, clock: Clock) {
  const perIp = createThrottle({ limit: 20, windowMs: WINDOW_MS, clock });
  const perAddressAndIp = createThrottle({ limit: 5, windowMs: WINDOW_MS, clock });
  const mailsPerAddress = createThrottle({ limit: MAILS_PER_ADDRESS, windowMs: MAIL_WINDOW_MS, clock });
  return (ip: string | null, email: string): SignInDecision => {
    const from = ip ?? "unknown";
    const wait =
      perIp.hit(cipher.blindIndex("throttle-ip", from)) ||
      perAddressAndIp.hit(cipher.blindIndex("throttle-email-ip", `${email}\n${from}`));
    if (wait > 0)
      throw new KrioraError("rate_limited", "Too many sign-in requests; try again later.", {
        headers: { "retry-after": String(wait) },
      });
    return { mail: mailsPerAddress.hit(cipher.blindIndex("throttle-email", email)) === 0 };
  };
}

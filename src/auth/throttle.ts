import type { WindowCounters } from "../coord/port";
import type { FieldCipher } from "../crypto/fields";
import { KrioraError } from "../lib/errors";

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
 * nor the cap reveals anything. The windows are the coordination port's: with Redis every instance
 * counts into the same ones.
 */
export function createSignInThrottle(cipher: FieldCipher, windows: WindowCounters) {
  /** Count a hit; the seconds to wait when over the limit, else 0. */
  const hit = async (key: string, limit: number, windowMs: number) => {
    const { count, resetMs } = await windows.hit(key, windowMs);
    return count > limit ? Math.max(1, Math.ceil(resetMs / 1000)) : 0;
  };
  return async (ip: string | null, email: string): Promise<SignInDecision> => {
    const from = ip ?? "unknown";
    const wait =
      (await hit(`signin-ip:${cipher.blindIndex("throttle-ip", from)}`, 20, WINDOW_MS)) ||
      (await hit(`signin-email-ip:${cipher.blindIndex("throttle-email-ip", `${email}\n${from}`)}`, 5, WINDOW_MS));
    if (wait > 0)
      throw new KrioraError("rate_limited", "Too many sign-in requests; try again later.", {
        headers: { "retry-after": String(wait) },
      });
    const mails = await hit(
      `signin-mail:${cipher.blindIndex("throttle-email", email)}`,
      MAILS_PER_ADDRESS,
      MAIL_WINDOW_MS,
    );
    return { mail: mails === 0 };
  };
}

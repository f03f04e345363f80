import type { FieldCipher } from "../crypto/fields";

const EMAIL = /^[^\s@"<>()[\],;:\\]+@[^\s@"<>()[\],;:\\]+\.[^\s@"<>()[\],;:\\]+$/;

/** Trim and lowercase; null when it cannot be an address. `" Ann@Example.COM "` → `"ann@example.com"`. */
export function normaliseEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}

/** The HMAC blind index an account is found by; the address itself is only stored encrypted. */
export function emailIndex(cipher: FieldCipher, normalisedEmail: string): string {
  return cipher.blindIndex("account-email", normalisedEmail);
}

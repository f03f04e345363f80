import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";

/** scrypt cost: N=2^15, r=8 (~32 MiB, a fraction of a second), the usual interactive setting. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface SealedKey {
  kdf: "scrypt";
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

function derive(passphrase: string, salt: Buffer): Buffer {
  return scryptSync(passphrase.normalize("NFC"), salt, 32, SCRYPT);
}

/** The master key sealed under a passphrase (scrypt + AES-256-GCM), for carrying inside a backup. */
export function sealKey(key: Uint8Array, passphrase: string): SealedKey {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", derive(passphrase, salt), iv);
  const data = Buffer.concat([cipher.update(key), cipher.final()]);
  const b64 = (b: Buffer) => b.toString("base64");
  return { kdf: "scrypt", salt: b64(salt), iv: b64(iv), tag: b64(cipher.getAuthTag()), data: b64(data) };
}

/** The master key back, or null when the passphrase is wrong (or the envelope was altered). */
export function openKey(sealed: SealedKey, passphrase: string): Uint8Array | null {
  const b = (s: string) => Buffer.from(s, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", derive(passphrase, b(sealed.salt)), b(sealed.iv));
    decipher.setAuthTag(b(sealed.tag));
    return new Uint8Array(Buffer.concat([decipher.update(b(sealed.data)), decipher.final()]));
  } catch {
    return null;
  }
}

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * Field encryption at rest (Policy §9): AES-256-GCM under keys derived from the master key,
 * with the key id inside the ciphertext and the row and column bound as associated data, so a
 * ciphertext copied to another row or column fails to decrypt.
 *
 * Format: `v1.<keyId>.<base64url(iv | tag | ciphertext)>`.
 */
export interface FieldCipher {
  encrypt(plaintext: string, where: FieldLocation): string;
  decrypt(ciphertext: string, where: FieldLocation): string;
  /** Deterministic HMAC for lookups (e.g. account by email) under a key separate from encryption. */
  blindIndex(purpose: string, value: string): string;
  /** HKDF sub-key for another purpose (signing-key wrapping, address hashing …). */
  deriveKey(purpose: string): Buffer;
}

export interface FieldLocation {
  table: string;
  column: string;
  rowId: string;
}

export class DecryptError extends Error {
  constructor() {
    super("field could not be decrypted");
    this.name = "DecryptError";
  }
}

/** Master keys by id; the newest (last) encrypts, every one still decrypts. */
export interface MasterKeyring {
  keys: ReadonlyArray<{ id: string; key: Uint8Array }>;
}

const derive = (master: Uint8Array, info: string) =>
  Buffer.from(hkdfSync("sha256", master, new Uint8Array(0), info, 32));

export function createFieldCipher(ring: MasterKeyring): FieldCipher {
  const newest = ring.keys.at(-1);
  const oldest = ring.keys[0];
  if (!newest || !oldest) throw new Error("field cipher needs at least one master key");
  const encKeys = new Map(ring.keys.map(({ id, key }) => [id, derive(key, "kriora/field-encryption/v1")]));
  // Lookup hashes and wrapping keys stay on the first master key so that adding a key never
  // orphans an index entry or a wrapped secret; only new ciphertexts move to the newest key.
  const indexKey = derive(oldest.key, "kriora/blind-index/v1");
  const activeEnc = encKeys.get(newest.id)!;

  const aad = (w: FieldLocation) => Buffer.from(`${w.table}\u0000${w.column}\u0000${w.rowId}`);

  return {
    encrypt(plaintext, where) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", activeEnc, iv);
      cipher.setAAD(aad(where));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return `v1.${newest.id}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
    },
    decrypt(ciphertext, where) {
      const [version, keyId, payload] = ciphertext.split(".");
      const key = keyId ? encKeys.get(keyId) : undefined;
      if (version !== "v1" || !key || !payload) throw new DecryptError();
      const raw = Buffer.from(payload, "base64url");
      if (raw.length < 28) throw new DecryptError();
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
        decipher.setAAD(aad(where));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        throw new DecryptError();
      }
    },
    blindIndex(purpose, value) {
      return createHmac("sha256", indexKey).update(purpose).update("\u0000").update(value).digest("base64url");
    },
    deriveKey(purpose) {
      return derive(oldest.key, `kriora/${purpose}`);
    },
  };
}

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { DecryptError, type FieldCipher, type FieldLocation, type MasterKeyring } from "./fields";

/**
 * Per-account data keys (crypto-shredding): each person's fields are encrypted under a random
 * key of their own, stored only wrapped by a master key. Destroying that one wrapped key makes
 * every copy of the person's ciphertexts — WAL, dead tuples, a backup taken earlier — unreadable
 * with the keys that remain.
 */
export interface DataKey {
  encrypt(plaintext: string, where: FieldLocation): string;
  decrypt(ciphertext: string, where: FieldLocation): string;
}

/** Wraps data keys under the newest master key; unwraps under any key of the ring. */
export interface KeyWrap {
  wrap(ownerId: string, key: Uint8Array): string;
  unwrap(ownerId: string, wrapped: string): Uint8Array;
  /** Whether a wrapped key is under the newest master key (else `datakeys rotate` re-wraps it). */
  isCurrent(wrapped: string): boolean;
  /** The newest master key's id. */
  newestId: string;
}

/** Ciphertexts under a data key start with this; ones under the master-derived field key with `v1.`. */
const FIELD_PREFIX = "d1.";
const WRAP_VERSION = "w1";

const aad = (w: FieldLocation) => Buffer.from(`${w.table}\u0000${w.column}\u0000${w.rowId}`);

function seal(key: Uint8Array, plaintext: Uint8Array, associated: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(associated);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

function open(key: Uint8Array, payload: string, associated: Buffer): Buffer {
  const raw = Buffer.from(payload, "base64url");
  if (raw.length < 28) throw new DecryptError();
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAAD(associated);
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    throw new DecryptError();
  }
}

/** A fresh random 256-bit data key. */
export const newDataKey = (): Uint8Array => new Uint8Array(randomBytes(32));

/**
 * Field encryption under one data key: AES-256-GCM with table, column and row bound as associated
 * data, as the master-derived field cipher does. Format: `d1.<base64url(iv | tag | ciphertext)>`.
 */
export function dataKey(key: Uint8Array): DataKey {
  return {
    encrypt: (plaintext, where) => FIELD_PREFIX + seal(key, Buffer.from(plaintext, "utf8"), aad(where)),
    decrypt(ciphertext, where) {
      if (!ciphertext.startsWith(FIELD_PREFIX)) throw new DecryptError();
      return open(key, ciphertext.slice(FIELD_PREFIX.length), aad(where)).toString("utf8");
    },
  };
}

/** Whether a stored ciphertext is still under the master-derived field key (from before data keys). */
export const isLegacyCiphertext = (ciphertext: string) => !ciphertext.startsWith(FIELD_PREFIX);

/**
 * A data key that also reads ciphertexts still under the master-derived field key: rows written
 * by an instance of an older version during a rolling upgrade, until a start moves them over.
 */
export const readingLegacy = (key: DataKey, legacy: Pick<FieldCipher, "decrypt">): DataKey => ({
  encrypt: key.encrypt,
  decrypt: (ciphertext, where) =>
    isLegacyCiphertext(ciphertext) ? legacy.decrypt(ciphertext, where) : key.decrypt(ciphertext, where),
});

/**
 * Wrapping under the master keyring: AES-256-GCM under a key derived from each master key, the
 * owner id as associated data (a wrapped key copied to another owner does not open).
 * Format: `w1.<masterKeyId>.<base64url(iv | tag | wrapped key)>`.
 */
export function createKeyWrap(ring: MasterKeyring): KeyWrap {
  const newest = ring.keys.at(-1);
  if (!newest) throw new Error("key wrapping needs at least one master key");
  const wrapKeys = new Map(
    ring.keys.map(({ id, key }) => [
      id,
      Buffer.from(hkdfSync("sha256", key, new Uint8Array(0), "kriora/data-key-wrap/v1", 32)),
    ]),
  );
  const ownerAad = (ownerId: string) => Buffer.from(`data_keys\u0000${ownerId}`);
  return {
    newestId: newest.id,
    wrap: (ownerId, key) => `${WRAP_VERSION}.${newest.id}.${seal(wrapKeys.get(newest.id)!, key, ownerAad(ownerId))}`,
    unwrap(ownerId, wrapped) {
      const [version, keyId, payload] = wrapped.split(".");
      const wrapKey = keyId ? wrapKeys.get(keyId) : undefined;
      if (version !== WRAP_VERSION || !wrapKey || !payload) throw new DecryptError();
      return new Uint8Array(open(wrapKey, payload, ownerAad(ownerId)));
    },
    isCurrent: (wrapped) => wrapped.startsWith(`${WRAP_VERSION}.${newest.id}.`),
  };
}

import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { desc, sql } from "drizzle-orm";
import type { KeyDeps } from "./keyDeps";
import type { Actor } from "../audit/audit";
import { signingKeys } from "../db/schema";
import { newId } from "../lib/ids";
import { exec, transaction, one } from "../db/tx";

/** The JWS algorithm of every API key (Ed25519). */
export const KEY_ALG = "EdDSA";

export interface Signer {
  kid: string;
  key: KeyObject;
}

const privateAt = (kid: string) => ({ table: "signing_keys", column: "private_jwk_enc", rowId: kid });

/**
 * Add a new Ed25519 signing key; it signs every key issued from now on, and the older ones keep
 * verifying the keys they signed. The private half is stored only encrypted under the master key.
 */
export async function rotateKeyring(deps: KeyDeps, actor: Actor): Promise<{ kid: string }> {
  const kid = newId("kid");
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  await transaction(deps.db, async (tx) => {
    await exec(
      tx.insert(signingKeys).values({
        kid,
        alg: KEY_ALG,
        publicJwk: JSON.stringify(publicKey.export({ format: "jwk" })),
        privateJwkEnc: deps.cipher.encrypt(JSON.stringify(privateKey.export({ format: "jwk" })), privateAt(kid)),
        createdAt: deps.clock.now(),
      }),
    );
    await deps.audit.record({ actor, action: "keyring.rotate", target: kid }, tx);
  });
  await deps.authView.refreshSigningKeys();
  return { kid };
}

/** The newest signing key, decrypted; the keyring's first key is made on first use. */
export async function currentSigner(deps: KeyDeps): Promise<Signer> {
  const newest = async () =>
    await one(deps.db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt), desc(sql`rowid`)).limit(1));
  let row = await newest();
  if (!row) {
    await rotateKeyring(deps, "system");
    row = (await newest())!;
  }
  const jwk = JSON.parse(deps.cipher.decrypt(row.privateJwkEnc, privateAt(row.kid)));
  return { kid: row.kid, key: createPrivateKey({ key: jwk, format: "jwk" }) };
}

import { afterEach, describe, expect, test } from "bun:test";
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { openDeps, type Deps } from "../../src/deps";
import { createApp } from "../../src/http/app";
import { currentSigner } from "../../src/keys/keyring";
import { KEY_AUDIENCE, KEY_ISSUER, KEY_TYP } from "../../src/keys/token";
import { suspendAccount, unsuspendAccount } from "../../src/accounts/status";
import { revokeKey } from "../../src/keys/apiKeys";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeAccount, makeKey } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A stepping clock shared by the deps and the test. */
const clock = {
  t: Date.UTC(2026, 0, 1),
  now() {
    return this.t;
  },
};

async function setUp() {
  clock.t = Date.UTC(2026, 0, 1);
  env = await makeTestEnv("", { clock });
  const deps = env.deps;
  const account = await makeAccount(deps, "holder@example.com");
  const good = await makeKey(deps, account.id);
  const signer = await currentSigner(deps);
  const claims = {
    scope: "model account",
    sub: account.id,
    jti: good.id,
    iss: KEY_ISSUER,
    aud: KEY_AUDIENCE,
    iat: Math.floor(clock.t / 1000),
  };
  return { deps, app: createApp(deps), account, good, signer, claims };
}

/** Sign claims with a chosen header and key, as an attacker or a buggy issuer would. */
function sign(key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown>) {
  return new SignJWT(claims)
    .setProtectedHeader(header as { alg: string })
    .sign(key)
    .then((jwt) => `kr_${jwt}`);
}

const status = async (app: ReturnType<typeof createApp>, key: string) =>
  (await call(app, "GET", "/account", { key })).status;

describe("§9 access control: API key verification refuses every forged or stale key with 401", () => {
  test("a key from `keys issue` passes (control for the cases below)", async () => {
    const { app, good } = await setUp();
    expect(await status(app, good.key)).toBe(200);
  });

  test("alg none (unsigned) is refused", async () => {
    const { app, signer, claims } = await setUp();
    const unsigned = `kr_${b64({ alg: "none", typ: KEY_TYP, kid: signer.kid })}.${b64(claims)}.`;
    expect(await status(app, unsigned)).toBe(401);
  });

  test("HS256 keyed with the public key (algorithm confusion) is refused", async () => {
    const { app, signer, claims } = await setUp();
    const pub = createPublicKey(signer.key);
    const secrets = [
      pub.export({ format: "der", type: "spki" }),
      Buffer.from(pub.export({ format: "pem", type: "spki" })),
      Buffer.from(JSON.stringify(pub.export({ format: "jwk" }))),
    ];
    for (const secret of secrets) {
      const head = b64({ alg: "HS256", typ: KEY_TYP, kid: signer.kid });
      const body = b64(claims);
      const mac = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
      expect(await status(app, `kr_${head}.${body}.${mac}`)).toBe(401);
    }
  });

  test("the right key under the other Ed25519 algorithm name is refused (EdDSA is pinned)", async () => {
    const { app, signer, claims } = await setUp();
    expect(await status(app, await sign(signer.key, { alg: "Ed25519", typ: KEY_TYP, kid: signer.kid }, claims))).toBe(
      401,
    );
  });

  test("an unknown kid is refused, whether signed by a stranger's key or by ours", async () => {
    const { app, signer, claims } = await setUp();
    const stranger = generateKeyPairSync("ed25519").privateKey;
    expect(await status(app, await sign(stranger, { alg: "EdDSA", typ: KEY_TYP, kid: signer.kid }, claims))).toBe(401);
    expect(await status(app, await sign(stranger, { alg: "EdDSA", typ: KEY_TYP, kid: "kid_unknown" }, claims))).toBe(
      401,
    );
    expect(await status(app, await sign(signer.key, { alg: "EdDSA", typ: KEY_TYP, kid: "kid_unknown" }, claims))).toBe(
      401,
    );
    expect(await status(app, await sign(signer.key, { alg: "EdDSA", typ: KEY_TYP }, claims))).toBe(401);
  });

  test("wrong issuer, audience or typ is refused", async () => {
    const { app, signer, claims } = await setUp();
    const header = { alg: "EdDSA", typ: KEY_TYP, kid: signer.kid };
    expect(await status(app, await sign(signer.key, header, claims))).toBe(200);
    expect(await status(app, await sign(signer.key, header, { ...claims, iss: "someone-else" }))).toBe(401);
    expect(await status(app, await sign(signer.key, header, { ...claims, aud: "other-api" }))).toBe(401);
    expect(await status(app, await sign(signer.key, { ...header, typ: "JWT" }, claims))).toBe(401);
    expect(await status(app, await sign(signer.key, { alg: "EdDSA", kid: signer.kid }, claims))).toBe(401);
  });

  test("expiry with 5 s tolerance: accepted 4 s after exp, refused 6 s after (and 31 s after), also once cached", async () => {
    const { deps, app, account } = await setUp();
    const { key } = await makeKey(deps, account.id, { expiresInMs: 60_000 });
    const exp = clock.t + 60_000;
    expect(await status(app, key)).toBe(200);
    clock.t = exp - 1_000;
    expect(await status(app, key)).toBe(200);
    clock.t = exp + 4_000;
    expect(await status(app, key)).toBe(200);
    clock.t = exp + 6_000;
    expect(await status(app, key)).toBe(401);
    clock.t = exp + 31_000;
    expect(await status(app, key)).toBe(401);
  });

  test("a tampered payload (other account, added scope) is refused", async () => {
    const { deps, app, good } = await setUp();
    const other = await makeAccount(deps, "other@example.com", "admin");
    const [head, body, sig] = good.key.slice(3).split(".");
    const claims = JSON.parse(Buffer.from(body!, "base64url").toString());
    expect(await status(app, `kr_${head}.${b64({ ...claims, sub: other.id })}.${sig}`)).toBe(401);
    expect(await status(app, `kr_${head}.${b64({ ...claims, scope: "model account admin" })}.${sig}`)).toBe(401);
    // A changed character in the middle: the tail of base64url can differ without changing the bytes.
    const forged = sig!.slice(0, 10) + (sig![10] === "A" ? "B" : "A") + sig!.slice(11);
    expect(await status(app, `kr_${head}.${body}.${forged}`)).toBe(401);
  });

  test("a correctly signed key whose jti was never issued is refused", async () => {
    const { app, signer, claims } = await setUp();
    expect(
      await status(
        app,
        await sign(
          signer.key,
          { alg: "EdDSA", typ: KEY_TYP, kid: signer.kid },
          { ...claims, jti: "key_neverissued000000000" },
        ),
      ),
    ).toBe(401);
  });

  test("a revoked jti is refused at once, and still after a restart on the same data dir", async () => {
    const { deps, app, account, good } = await setUp();
    const kept = await makeKey(deps, account.id);
    expect(await status(app, good.key)).toBe(200);
    await revokeKey(deps, good.id, "test");
    expect(await status(app, good.key)).toBe(401);

    deps.handle.close();
    const reopened: Deps = await openDeps(deps.config, { clock, log: env!.log });
    try {
      const app2 = createApp(reopened);
      expect(await status(app2, good.key)).toBe(401);
      expect(await status(app2, kept.key)).toBe(200);
    } finally {
      reopened.handle.close();
    }
  });

  test("a key of a suspended account is refused until the suspension is lifted", async () => {
    const { deps, app, account, good } = await setUp();
    expect(await status(app, good.key)).toBe(200);
    await suspendAccount(deps, account.id, "test");
    expect(await status(app, good.key)).toBe(401);
    await unsuspendAccount(deps, account.id, "test");
    expect(await status(app, good.key)).toBe(200);
  });

  test("a JWT from an issuer that is not configured is refused, as is our key without its kr_ prefix", async () => {
    const { app, good } = await setUp();
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const foreign = await new SignJWT({ email: "holder@example.com", email_verified: true })
      .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
      .setIssuer("https://idp.example.com")
      .setAudience("kriora")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(await status(app, foreign)).toBe(401);
    expect(await status(app, good.key.slice(3))).toBe(401);
  });

  test("the 401 says nothing about why, and echoes no part of the key", async () => {
    const { app, good } = await setUp();
    const res = await call(app, "GET", "/account", { key: `${good.key}x` });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).error.type).toBe("authentication_error");
    expect(text).not.toContain(good.key.slice(3, 40));
  });
});

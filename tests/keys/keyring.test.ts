import { afterEach, describe, expect, test } from "bun:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { createApp } from "../../src/http/app";
import { rotateKeyring } from "../../src/keys/keyring";
import { KEY_AUDIENCE, KEY_ISSUER, KEY_TYP } from "../../src/keys/token";
import { runCli } from "../../src/cli/run";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { json } from "../helpers/http";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const kidOf = (key: string) => decodeProtectedHeader(key.slice(3)).kid;

describe("§9 keyring: Ed25519 signing keys held encrypted, rotated without breaking issued keys", () => {
  test("a key is a kr_-prefixed EdDSA JWT with kid and typ, and the claims iss, aud, sub, jti, scope, iat", async () => {
    env = await makeTestEnv();
    const account = await makeAccount(env.deps, "a@example.com");
    const { id, key } = await makeKey(env.deps, account.id, { expiresInMs: 3_600_000 });
    expect(key.startsWith("kr_")).toBe(true);
    const header = decodeProtectedHeader(key.slice(3));
    expect(header).toMatchObject({ alg: "EdDSA", typ: KEY_TYP });
    expect(header.kid).toMatch(/^kid_/);
    const claims = JSON.parse(Buffer.from(key.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({
      iss: KEY_ISSUER,
      aud: KEY_AUDIENCE,
      sub: account.id,
      jti: id,
      scope: "model account",
    });
    expect(claims.exp - claims.iat).toBe(3600);
  });

  test("after `keyring rotate` new keys carry the new kid and keys signed by the old one keep working", async () => {
    env = await makeTestEnv();
    const app = createApp(env.deps);
    const account = await makeAccount(env.deps, "a@example.com");
    const before = await makeKey(env.deps, account.id);
    const out: string[] = [];
    const code = await runCli(["keyring", "rotate", "--json", "--data", `${env.dir}/data`], {
      out: (t) => out.push(t),
      err: () => {},
      env: {},
    });
    expect(code).toBe(0);
    const { kid } = JSON.parse(out.join(""));
    const after = await makeKey(env.deps, account.id);
    expect(kidOf(after.key)).toBe(kid);
    expect(kidOf(before.key)).not.toBe(kid);
    expect((await call(app, "GET", "/account", { key: before.key })).status).toBe(200);
    expect((await call(app, "GET", "/account", { key: after.key })).status).toBe(200);
  });

  test("kids are unique across rotations", async () => {
    env = await makeTestEnv();
    const kids = Array.from({ length: 20 }, async () => (await rotateKeyring(env!.deps, "test")).kid);
    expect(new Set(kids).size).toBe(20);
  });

  test("GET /.well-known/jwks.json serves the public keys only, and a team's service verifies a key offline with them", async () => {
    env = await makeTestEnv();
    const account = await makeAccount(env.deps, "a@example.com");
    const old = await makeKey(env.deps, account.id);
    await rotateKeyring(env.deps, "test");
    const fresh = await makeKey(env.deps, account.id);
    const res = await call(createApp(env.deps), "GET", "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    const jwks = await json(res);
    expect(jwks.keys).toHaveLength(2);
    for (const k of jwks.keys) {
      expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      expect(k.d).toBeUndefined();
    }
    const keySet = createLocalJWKSet(jwks);
    for (const { key } of [old, fresh]) {
      const { payload } = await jwtVerify(key.slice(3), keySet, {
        issuer: KEY_ISSUER,
        audience: KEY_AUDIENCE,
        typ: KEY_TYP,
        algorithms: ["EdDSA"],
      });
      expect(payload.sub).toBe(account.id);
    }
  });

  test("the private signing key is stored encrypted, never as a plain JWK", async () => {
    env = await makeTestEnv();
    await rotateKeyring(env.deps, "test");
    const row = env.deps.handle.sqlite.query("SELECT private_jwk_enc AS enc FROM signing_keys").get() as {
      enc: string;
    };
    expect(row.enc.startsWith("v1.")).toBe(true);
    expect(row.enc).not.toContain('"d"');
  });

  test("rotation is audited", async () => {
    env = await makeTestEnv();
    const { kid } = await rotateKeyring(env.deps, "cli");
    expect((await env.deps.audit.tail(5)).find((e) => e.action === "keyring.rotate")).toMatchObject({
      actor: "cli",
      target: kid,
    });
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { suspendAccount } from "../../src/accounts/status";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { call, makeAccount } from "../helpers/identity";

const ISSUER = "https://idp.team.example";
let idpKey: CryptoKey;
let jwks: { keys: JWK[] };
let jwksFetches = 0;
let idp: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  idpKey = privateKey;
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "idp-1", alg: "RS256", use: "sig" }] };
  idp = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    development: false,
    fetch(req) {
      if (new URL(req.url).pathname !== "/jwks") return new Response("not found", { status: 404 });
      jwksFetches++;
      return Response.json(jwks);
    },
  });
});
afterAll(() => idp.stop(true));

let env: TestEnv | undefined;
afterEach(() => env?.close());

async function setUp() {
  jwksFetches = 0;
  env = await makeTestEnv(
    `[[auth.issuers]]\nissuer = "${ISSUER}"\njwks_uri = "http://127.0.0.1:${idp.port}/jwks"\naudience = "kriora"\n`,
  );
  const account = await makeAccount(env.deps, "member@team.example");
  return { deps: env.deps, app: createApp(env.deps), account };
}

interface TokenOptions {
  claims?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
  expires?: string | number | null;
  key?: CryptoKey;
  kid?: string;
}

function idToken(opts: TokenOptions = {}) {
  const jwt = new SignJWT({ email: "Member@Team.example", email_verified: true, ...opts.claims })
    .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? "idp-1" })
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? "kriora")
    .setSubject("idp-user-1")
    .setIssuedAt()
    .setJti(crypto.randomUUID());
  if (opts.expires !== null) jwt.setExpirationTime(opts.expires ?? "5m");
  return jwt.sign(opts.key ?? idpKey);
}

const status = async (app: ReturnType<typeof createApp>, key: string) =>
  (await call(app, "GET", "/account", { key })).status;

describe("§2 external identity: a team's own IdP token stands for the account with that verified email", () => {
  test("a valid IdP token maps to the account (email normalised); the principal is `external`", async () => {
    const { deps, app, account } = await setUp();
    const token = await idToken();
    const res = await call(app, "GET", "/account", { key: token });
    expect(res.status).toBe(200);
    expect((await json(res)).id).toBe(account.id);
    const principal = await deps.auth.authenticate(
      new Request("http://localhost/", { headers: { "x-api-key": token } }),
    );
    expect(principal).toMatchObject({ accountId: account.id, via: "external", keyId: null });
  });

  test("refused (401): unknown email, unverified email, wrong audience, other issuer, expired, no exp, foreign signature", async () => {
    const { app } = await setUp();
    const { privateKey: otherKey } = await generateKeyPair("RS256");
    const cases: [string, TokenOptions][] = [
      ["unknown email", { claims: { email: "stranger@team.example" } }],
      ["email_verified false", { claims: { email_verified: false } }],
      ["no email claim", { claims: { email: undefined } }],
      ["wrong audience", { audience: "another-service" }],
      ["unconfigured issuer", { issuer: "https://idp.elsewhere.example" }],
      ["expired beyond tolerance", { expires: Math.floor(Date.now() / 1000) - 120 }],
      ["no exp", { expires: null }],
      ["signed by another key under the IdP's kid", { key: otherKey }],
      ["unknown kid", { kid: "idp-9" }],
    ];
    for (const [what, opts] of cases) expect([what, await status(app, await idToken(opts))]).toEqual([what, 401]);
  });

  test("a suspended account's IdP token is refused", async () => {
    const { deps, app, account } = await setUp();
    await suspendAccount(deps, account.id, "test");
    expect(await status(app, await idToken())).toBe(401);
  });

  test("the IdP's JWKS is fetched once and reused across tokens (jose's remote key set cache)", async () => {
    const { app } = await setUp();
    for (let i = 0; i < 5; i++) expect(await status(app, await idToken())).toBe(200);
    expect(jwksFetches).toBe(1);
  });

  test("IdP tokens give no admin rights to a user account", async () => {
    const { app } = await setUp();
    expect((await call(app, "GET", "/admin/accounts", { key: await idToken() })).status).toBe(403);
  });
});

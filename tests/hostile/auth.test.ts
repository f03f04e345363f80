import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { json, type Handler } from "../helpers/http";
import { call, type CallOptions } from "../helpers/identity";
import {
  expectCleanRefusal,
  publishedOperations,
  SAME_ORIGIN,
  sampleOf,
  useHostileTarget,
  type HostileTarget,
  type Operation,
} from "../helpers/hostile";

/**
 * Routes anyone may call. Everything else the app serves must be published in /openapi.json with
 * a credential and refuse a caller without one: a new route is covered here without editing this file.
 */
const PUBLIC = new Set([
  "GET /",
  "GET /console/app.js",
  "GET /console/app.css",
  "GET /healthz",
  "GET /readyz",
  "GET /privacy",
  "GET /metrics",
  "GET /docs",
  "GET /docs/assets/scalar.js",
  "GET /openapi.json",
  "GET /.well-known/jwks.json",
  "POST /auth/signup",
  "POST /auth/login",
  "GET /auth/verify",
  "POST /auth/verify",
  "POST /auth/logout",
  "GET /account/email/verify",
  "POST /account/email/verify",
  "POST /webhooks/stripe",
]);

let target: HostileTarget;
let app: Handler & { routes: { method: string; path: string }[] };
let operations: Operation[];
/** Alice's objects, addressed by the other callers. */
let ids: { account: string; key: string; request: string };

useHostileTarget((t) => (target = t));
beforeAll(async () => {
  // In-process: hundreds of refused credentials from one socket address would trip the abuse block.
  app = createApp(target.env.deps);
  operations = await publishedOperations(target.url);
  const objection = await json(
    await call(app, "POST", "/account/object", { key: target.alice.key, body: { scope: "abuse_detection" } }),
  );
  ids = { account: target.alice.id, key: target.alice.keyId, request: objection.id };
});

const opName = (op: { method: string; path: string }) => `${op.method} ${op.path}`;

/** The operation's path at one of Alice's objects: a key id for key routes, a request id for requests, else her account id. */
function aliceObject(path: string): string {
  return path.replace(/\{(\w+)\}/g, () =>
    /\/keys\/\{/.test(path) ? ids.key : /\/requests\/\{/.test(path) ? ids.request : ids.account,
  );
}

/** One request with a body that passes validation, so that only authorization can refuse it. */
function send(op: Operation, opts: CallOptions): Promise<Response> {
  return call(app, op.method, aliceObject(op.path), { ...opts, body: op.body ? sampleOf(op.body) : undefined });
}

describe("§9 access control: every published route refuses a caller without valid credentials (401)", () => {
  test("every route the app serves is published, or deliberately public", () => {
    const published = new Set(
      operations.map((op) => opName({ method: op.method, path: op.path.replace(/\{(\w+)\}/g, ":$1") })),
    );
    const unlisted = app.routes.map(opName).filter((r) => !published.has(r) && !PUBLIC.has(r));
    expect(unlisted).toEqual([]);
    expect(
      operations
        .filter((op) => !op.secured)
        .map(opName)
        .filter((r) => !PUBLIC.has(r)),
    ).toEqual([]);
    expect(operations.filter((op) => op.secured).length).toBeGreaterThan(40);
  });

  const credentials: [string, CallOptions][] = [
    ["no credentials", {}],
    ["a malformed bearer key", { key: "kr_not.a.key" }],
    ["a well-formed key signed by nobody", { key: "kr_eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhY2NfeCJ9.c2lnbmF0dXJl" }],
    ["a forged session cookie", { cookie: "kriora_session=ses_abc.forged", headers: SAME_ORIGIN }],
    ["an x-api-key that is not a key", { headers: { "x-api-key": "sk-definitely-not-kriora" } }],
  ];

  test.each(credentials)("%s → 401 on every secured route, in the route's error shape", async (_, opts) => {
    for (const op of operations.filter((o) => o.secured)) {
      const res = await send(op, opts);
      expect([opName(op), res.status]).toEqual([opName(op), 401]);
      await expectCleanRefusal(res);
    }
  });
});

describe("§9 access control: another account's credentials never reach Alice's objects (403/404)", () => {
  const asBob: [string, () => CallOptions][] = [
    ["Bob's key", () => ({ key: target.bob.key })],
    ["Bob's session", () => ({ cookie: target.bob.cookie, headers: SAME_ORIGIN })],
  ];

  test.each(asBob)(
    "with %s: every route addressing one of Alice's objects, and every admin route, is 403 or 404",
    async (_, opts) => {
      const addressed = operations.filter(
        (op) => op.secured && (op.path.includes("{") || op.path.startsWith("/admin")),
      );
      expect(addressed.map(opName)).toContain("DELETE /account/keys/{id}");
      for (const op of addressed) {
        const res = await send(op, opts());
        expect([opName(op), [403, 404].includes(res.status)]).toEqual([opName(op), true]);
        const text = await expectCleanRefusal(res);
        for (const secret of [target.alice.email, ids.account, ids.key]) expect(text).not.toContain(secret);
      }
    },
  );

  test.each(asBob)("with %s: every read of 'my' data shows Bob's, never a trace of Alice", async (_, opts) => {
    // The export is a POST (it records a rights request), but it is the fullest read of "my" data.
    const isRead = (op: Operation) => op.method === "GET" || opName(op) === "POST /account/export";
    const reads = operations.filter(
      (op) => op.secured && isRead(op) && !op.path.includes("{") && !op.path.startsWith("/admin"),
    );
    expect(reads.map(opName)).toContain("POST /account/export");
    for (const op of reads) {
      const res = await send(op, opts());
      const text = await res.text();
      expect([opName(op), res.status]).toEqual([opName(op), op.path.startsWith("/v1/") && opts().cookie ? 403 : 200]);
      for (const secret of [target.alice.email, ids.account, ids.key, ids.request]) expect(text).not.toContain(secret);
    }
  });

  test("afterwards Alice's account, key and request are untouched", async () => {
    const me = await json(await call(app, "GET", "/account", { key: target.alice.key }));
    expect(me).toMatchObject({ id: ids.account, email: target.alice.email, status: "active", role: "user" });
    const key = await json(await call(app, "GET", `/account/keys/${ids.key}`, { key: target.alice.key }));
    expect(key.revoked_at).toBeNull();
    const requests = await json(await call(app, "GET", "/account/requests", { key: target.alice.key }));
    expect(requests.find((r: { id: string }) => r.id === ids.request)).toMatchObject({ completed_at: null });
  });
});

import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/http/app";
import { isLoopback } from "../../src/http/clientIp";
import { opsGate } from "../../src/http/opsAccess";
import { loadConfig } from "../../src/config/load";
import { makeAccount, makeKey } from "../helpers/identity";
import { serverPerTest } from "../helpers/serverPerTest";

const OPS_PAGES = ["/docs", "/docs/assets/scalar.js", "/openapi.json", "/metrics"];
const serve = serverPerTest();

const statuses = (url: string, headers: Record<string, string> = {}) =>
  Promise.all(OPS_PAGES.map(async (p) => (await fetch(`${url}${p}`, { headers })).status));

describe("§9 access control: /docs, /openapi.json and /metrics can be restricted", () => {
  test("defaults: the docs are public, /metrics only for local callers", async () => {
    const {
      env: { deps },
      url,
    } = await serve();
    expect([deps.config.server.docs_access, deps.config.server.metrics_access]).toEqual(["public", "loopback"]);
    expect(await statuses(url)).toEqual([200, 200, 200, 200]);
    const app = createApp(deps);
    const inProcess = await app.handle(new Request("http://localhost/metrics"));
    // No socket peer at all is not a local caller: the check fails closed.
    expect(inProcess.status).toBe(403);
    expect((await app.handle(new Request("http://localhost/openapi.json"))).status).toBe(200);
  });

  test("admin: 401 without credentials, 403 for a user's key, 200 for an admin key", async () => {
    const {
      env: { deps },
      url,
    } = await serve('docs_access = "admin"\nmetrics_access = "admin"');
    const user = await makeKey(deps, (await makeAccount(deps, "user@example.com")).id);
    const admin = await makeKey(deps, (await makeAccount(deps, "root@example.com", "admin")).id, { scopes: ["admin"] });
    expect(await statuses(url)).toEqual([401, 401, 401, 401]);
    expect(await statuses(url, { authorization: `Bearer ${user.key}` })).toEqual([403, 403, 403, 403]);
    expect(await statuses(url, { authorization: `Bearer ${admin.key}` })).toEqual([200, 200, 200, 200]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  test("loopback behind a trusted proxy: a forwarded request is never local, whatever address it claims", async () => {
    const { url } = await serve('docs_access = "loopback"\ntrust_proxy = true');
    expect(await statuses(url)).toEqual([200, 200, 200, 200]);
    expect(await statuses(url, { "x-forwarded-for": "127.0.0.1" })).toEqual([403, 403, 403, 403]);
  });

  test("loopback without trust_proxy: only the socket peer decides, X-Forwarded-For is ignored both ways", async () => {
    const {
      env: { deps },
      url,
    } = await serve('docs_access = "loopback"');
    expect(await statuses(url, { "x-forwarded-for": "203.0.113.9" })).toEqual([200, 200, 200, 200]);
    const gate = opsGate(deps, "loopback");
    const from = (address: string, headers: Record<string, string> = {}) =>
      gate({
        request: new Request("http://localhost/metrics", { headers }),
        server: { requestIP: () => ({ address, family: "IPv4", port: 1 }) },
      });
    await expect(from("203.0.113.9", { "x-forwarded-for": "127.0.0.1" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(from("127.0.0.1", { "x-forwarded-for": "203.0.113.9" })).resolves.toBeUndefined();
  });

  test("what counts as loopback", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
      expect([a, isLoopback(a)]).toEqual([a, true]);
    for (const a of ["10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "1270.0.0.1", "127.0.0.1.evil", "", null])
      expect([a, isLoopback(a)]).toEqual([a, false]);
  });

  test("an unknown access value (here from KRIORA_SERVER_METRICS_ACCESS) stops start-up naming the key and the allowed values", () => {
    expect(() => loadConfig({ env: { KRIORA_SERVER_METRICS_ACCESS: "everyone" }, cwd: import.meta.dir })).toThrow(
      'server.metrics_access: Expected union value (allowed: "public", "admin", "loopback")',
    );
  });
});

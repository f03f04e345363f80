import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { createApp } from "../../src/http/app";
import { CONSOLE_ASSETS } from "../../src/http/consoleAssets";
import { listRequests } from "../../src/privacy/rights";
import { makeTestEnv } from "../helpers/deps";
import { call, makeAccount, makeKey, makeSessionCookie } from "../helpers/identity";

const setUp = async () => {
  const env = await makeTestEnv("");
  return { deps: env.deps, app: createApp(env.deps) };
};

describe("the console is served by the app (§9 security headers, §11 cookies)", () => {
  test("/ is the console page with a strict CSP: scripts and styles from this origin only, no inline, no eval, no framing", async () => {
    const { app } = await setUp();
    const res = await call(app, "GET", "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  test("the bundled script and stylesheet are served from /console/, and all the JS stays within 120 KB gzipped", async () => {
    const { app } = await setUp();
    const js = await call(app, "GET", "/console/app.js");
    expect(js.headers.get("content-type")).toContain("text/javascript");
    expect(await js.text()).toBe(CONSOLE_ASSETS.js);
    expect((await call(app, "GET", "/console/app.css")).headers.get("content-type")).toContain("text/css");
    expect(gzipSync(CONSOLE_ASSETS.js).length).toBeLessThanOrEqual(120 * 1024);
  });

  test("the browser code keeps nothing in localStorage/sessionStorage and names no other origin", () => {
    expect(CONSOLE_ASSETS.js).not.toMatch(/localStorage|sessionStorage|indexedDB|document\.cookie/);
    expect(CONSOLE_ASSETS.css).not.toMatch(/@import|url\(\s*["']?https?:/);
  });

  test("/privacy: HTML (the console's policy page) for a browser, JSON for Accept: application/json", async () => {
    const { app } = await setUp();
    const page = await call(app, "GET", "/privacy", {
      headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" },
    });
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("/console/app.js");
    const data = await call(app, "GET", "/privacy", { headers: { accept: "application/json" } });
    expect(((await data.json()) as { version: string }).version).toBe("2025-02-27");
  });

  test("/docs configures Scalar without its cloud controls (Ask AI, developer toolbar with Share/Deploy/Generate SDKs, MCP)", async () => {
    const { app } = await setUp();
    const html = await (await call(app, "GET", "/docs")).text();
    expect(html).toContain('"showDeveloperTools":"never"');
    expect(html).toContain('"agent":{"disabled":true}');
    expect(html).toContain('"mcp":{"disabled":true}');
    expect(html).toContain('"hideClientButton":true');
  });
});

describe("issue #16 item 10: GET and HEAD have no side effects", () => {
  test("GET /auth/verify and GET /account/email/verify only show the confirm page: no cookie, nothing spent", async () => {
    const { app } = await setUp();
    for (const path of ["/auth/verify?token=mlk_x.y", "/account/email/verify?token=emc_x.y"]) {
      const res = await call(app, "GET", path);
      expect([path, res.status, res.headers.get("content-type")?.split(";")[0], res.headers.get("set-cookie")]).toEqual(
        [path, 200, "text/html", null],
      );
    }
  });

  test("the export is a POST: a GET (a cross-site image, a prefetch) records no rights request and no audit entry", async () => {
    const { deps, app } = await setUp();
    const ann = await makeAccount(deps, "ann@example.com");
    const key = (await makeKey(deps, ann.id)).key;
    const cookie = await makeSessionCookie(deps, ann.id);
    const audited = (await deps.audit.tail(1000)).length;
    for (const method of ["GET", "HEAD"]) {
      expect((await call(app, method, "/account/export", { cookie })).status).toBe(404);
      expect((await call(app, method, `/admin/accounts/${ann.id}/export`, { key })).status).toBe(404);
    }
    expect(await listRequests(deps, { accountId: ann.id })).toEqual([]);
    expect((await deps.audit.tail(1000)).length).toBe(audited);
    // Positive control: the POST does record the access request.
    expect((await call(app, "POST", "/account/export", { key })).status).toBe(200);
    expect((await listRequests(deps, { accountId: ann.id })).map((r) => r.kind)).toEqual(["access"]);
  });
});

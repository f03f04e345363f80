import { Elysia } from "elysia";
import { openapi } from "@elysiajs/openapi";
import type { GateContext } from "./opsAccess";
import { finishDocument } from "./openapi/finish";
import scalarBundle from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };

const SCALAR_PATH = "/docs/assets/scalar.js";
const SPEC_PATH = "/openapi.json";

/**
 * `/openapi.json` and `/docs`. The UI bundle is embedded in the binary and served from here:
 * the docs page makes no request to a CDN or any third party (fonts off, CSP `'self'`). `gate`
 * runs before each of these routes (`server.docs_access`).
 */
export function docsPlugin(version: string, publicUrl: string, gate: (ctx: GateContext) => Promise<void>) {
  // The plugin caches its document; the finished one is cached beside it.
  const finished = new WeakMap<object, object>();
  return new Elysia({ name: "kriora-docs" })
    .onBeforeHandle(gate)
    .onAfterHandle(({ path, responseValue }) => {
      if (
        path !== SPEC_PATH ||
        !responseValue ||
        typeof responseValue !== "object" ||
        responseValue instanceof Response
      )
        return;
      let doc = finished.get(responseValue);
      if (!doc)
        finished.set(responseValue, (doc = finishDocument(responseValue as Record<string, unknown>, publicUrl)));
      return doc;
    })
    .use(
      openapi({
        path: "/docs",
        specPath: SPEC_PATH,
        documentation: {
          info: { title: "Kriora API", version },
        },
        exclude: { paths: [SCALAR_PATH] },
        // Scalar's cloud controls ("Ask AI", the developer toolbar's Share/Deploy/Generate SDKs, MCP)
        // would call Scalar's servers: they cannot work behind the CSP and have no place on a private gateway.
        scalar: {
          cdn: SCALAR_PATH,
          withDefaultFonts: false,
          hideClientButton: true,
          telemetry: false,
          showDeveloperTools: "never",
          agent: { disabled: true },
          mcp: { disabled: true },
        } as never,
      }),
    )
    .get(
      SCALAR_PATH,
      () =>
        new Response(Bun.file(scalarBundle), {
          headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
        }),
      {
        detail: { hide: true },
      },
    );
}

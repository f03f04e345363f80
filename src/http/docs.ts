import { Elysia } from "elysia";
import { openapi } from "@elysiajs/openapi";
import type { GateContext } from "./opsAccess";
import scalarBundle from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };

const SCALAR_PATH = "/docs/assets/scalar.js";

/**
 * `/openapi.json` and `/docs`. The UI bundle is embedded in the binary and served from here:
 * the docs page makes no request to a CDN or any third party (fonts off, CSP `'self'`). `gate`
 * runs before each of these routes (`server.docs_access`).
 */
export function docsPlugin(version: string, gate: (ctx: GateContext) => Promise<void>) {
  return new Elysia({ name: "kriora-docs" })
    .onBeforeHandle(gate)
    .use(
      openapi({
        path: "/docs",
        specPath: "/openapi.json",
        documentation: {
          info: {
            title: "Kriora API",
            version,
            description: "Privacy-first AI API gateway. Prompts and responses are processed in memory only and never stored.",
          },
          components: {
            securitySchemes: {
              apiKey: { type: "http", scheme: "bearer", description: "A Kriora API key (kr_…) as a bearer token" },
              session: { type: "apiKey", in: "cookie", name: "kriora_session" },
            },
          },
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
    .get(SCALAR_PATH, () => new Response(Bun.file(scalarBundle), { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" } }), {
      detail: { hide: true },
    });
}

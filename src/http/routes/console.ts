import { Elysia } from "elysia";
import { CONSOLE_ASSETS } from "../consoleAssets";

/** The console's one HTML page: every view is drawn by the script, from the public API. */
const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kriora console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<div id="app"><main><p>Loading the Kriora console…</p><noscript>The console needs JavaScript; the API works without it (see /docs).</noscript></main></div>
</body>
</html>
`;

/** Paths that open the console: its home, and the pages emailed links land on. */
const CONSOLE_PAGES = ["/", "/auth/verify", "/account/email/verify"] as const;

export const consoleShell = () => new Response(SHELL, { headers: { "content-type": "text/html; charset=utf-8" } });

const asset = (body: string, type: string) => () =>
  new Response(body, { headers: { "content-type": `${type}; charset=utf-8`, "cache-control": "no-cache" } });

/**
 * The web console, served from the binary (its assets are bundled when the server code is
 * transpiled). GET of a link's page only shows it: spending the token is the page's POST.
 */
export function consoleRoutes() {
  const hidden = { detail: { hide: true } };
  const app = new Elysia({ name: "console" })
    .get("/console/app.js", asset(CONSOLE_ASSETS.js, "text/javascript"), hidden)
    .get("/console/app.css", asset(CONSOLE_ASSETS.css, "text/css"), hidden);
  for (const path of CONSOLE_PAGES) app.get(path, consoleShell, hidden);
  return app;
}

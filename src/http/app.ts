import { Elysia } from "elysia";
import type { Deps } from "../deps";
import { KrioraError } from "../lib/errors";
import { newId } from "../lib/ids";
import { VERSION } from "../version";
import { clientIp, trustedProxies } from "./clientIp";
import { docsPlugin } from "./docs";
import { errorResponse, toKrioraError } from "./errors";
import { bodyPolicy, isJson, parseJsonBody, readBody, textBody } from "./body";
import { bodyShapeProblem } from "./bodyShape";
import { streamEnd } from "./streamEnd";
import { opsGate } from "./opsAccess";
import { accountRoutes } from "./routes/account";
import { accountKeyRoutes } from "./routes/accountKeys";
import { adminRoutes } from "./routes/admin";
import { adminBillingRoutes } from "./routes/adminBilling";
import { adminOpsRoutes } from "./routes/adminOps";
import { authRoutes } from "./routes/auth";
import { billingRoutes } from "./routes/billing";
import { consoleRoutes } from "./routes/console";
import { jwksRoutes } from "./routes/jwks";
import { metricsRoutes } from "./routes/metrics";
import { modelRoutes } from "./routes/models";
import { opsRoutes } from "./routes/ops";
import { overviewRoutes } from "./routes/overview";
import { privacyRoutes } from "./routes/privacy";
import { adminPrivacyRoutes } from "./routes/adminPrivacy";
import { usageRoutes } from "./routes/usage";
import { webhookRoutes } from "./routes/webhooks";
import { securityHeaders, validHostHeader } from "./security";

interface RequestMeta {
  id: string;
  start: number;
  /** Set when the request ended in an error, whose response Elysia does not report after. */
  status?: number;
  /** The caller's address, for the abuse controls only; never logged. */
  ip: string | null;
}

/**
 * The root HTTP app: request ids, security headers, the body-size limit and body shape, one error mapping
 * into the SPEC shapes, one JSON log line per request (id, route, status, latency, nothing
 * personal), then each domain's routes.
 */
export function createApp(deps: Deps) {
  const meta = new WeakMap<Request, RequestMeta>();
  const hsts = deps.config.server.tls_cert !== "" || deps.config.server.public_url.startsWith("https://");
  const maxBody = deps.config.server.max_body_bytes;
  const bodyTimeoutMs = deps.config.server.body_timeout_s * 1000;
  const trusting = trustedProxies(deps.config.server).length > 0;
  let warnedForwarded = false;
  const { abuse } = deps;

  const notJson = () => new KrioraError("unsupported_media_type", "The request body must be application/json.");
  const requestId = (request: Request) => meta.get(request)?.id ?? "req_unknown";

  return (
    new Elysia({ name: "kriora" })
      .onRequest(async ({ request, set, server }) => {
        const url = URL.parse(request.url);
        const id = newId("req");
        const ip = clientIp(request, server, deps.config.server);
        if (!trusting && !warnedForwarded && request.headers.has("x-forwarded-for")) {
          // Behind a proxy nobody told us about, every client shares the proxy's address: one bad client blocks them all.
          warnedForwarded = true;
          deps.log.warn("forwarded_for_ignored", {
            hint: "requests carry X-Forwarded-For but server.trusted_proxies is empty, so all clients behind the proxy share its address",
          });
        }
        meta.set(request, { id, start: performance.now(), ip });
        Object.assign(set.headers, securityHeaders(url?.pathname ?? "", hsts), { "x-request-id": id });
        if (!url || !validHostHeader(request.headers.get("host")))
          throw new KrioraError("invalid_request", "The Host header is not a valid host name.");
        const blocked = ip === null ? null : await abuse.blockedFor(ip);
        if (blocked !== null)
          throw new KrioraError(
            "rate_limited",
            "Too many failed authentication attempts from this address; try again later.",
            {
              headers: { "retry-after": String(blocked) },
            },
          );
        const length = Number(request.headers.get("content-length") ?? 0);
        if (length > maxBody) throw new KrioraError("payload_too_large", `The request body exceeds ${maxBody} bytes.`);
      })
      // Before validation: an object is expected.
      .onTransform({ as: "global" }, ({ body, request, path }) => {
        if (bodyPolicy(path, maxBody).raw) return;
        const problem = bodyShapeProblem(body, request.headers.get("content-type"));
        if (problem) throw new KrioraError("invalid_request", problem);
      })
      .onError({ as: "global" }, async ({ code, error, request, path, set }) => {
        const err = toKrioraError(code, error, deps.log, path);
        const m = meta.get(request);
        if (m) m.status = err.status;
        // Counted before the answer: the next attempt, on any instance, sees a block this one decided.
        if (err.code === "unauthenticated" && m?.ip) await abuse.authFailed(m.ip);
        const response = errorResponse(err, path, requestId(request));
        for (const [k, v] of Object.entries(set.headers)) if (typeof v === "string") response.headers.set(k, v);
        return response;
      })
      .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
        const m = meta.get(request);
        const status =
          m?.status ??
          (responseValue instanceof Response
            ? responseValue.status
            : typeof set.status === "number"
              ? set.status
              : 200);
        const since = () => (m ? Math.round((performance.now() - m.start) * 100) / 100 : null);
        const line = { id: m?.id ?? null, method: request.method, route: route || "unmatched", status };
        const trace = (durationMs: number | null, ttfbMs: number | null) =>
          m &&
          deps.tracing.request({
            ...line,
            startedAt: performance.timeOrigin + m.start,
            durationMs: durationMs ?? 0,
            ttfbMs: ttfbMs ?? 0,
          });
        const ended = streamEnd(request);
        if (!ended) {
          const ms = since();
          deps.log.info("request", { ...line, ms });
          return trace(ms, ms);
        }
        // A stream: `ms` is its whole duration, `headers_ms` the time until its headers were sent.
        const headersMs = since();
        void ended.then(() => {
          const ms = since();
          deps.log.info("request", { ...line, ms, headers_ms: headersMs });
          trace(ms, headersMs);
        });
      })
      .use(docsPlugin(VERSION, deps.config.server.public_url, opsGate(deps, deps.config.server.docs_access)))
      .use(consoleRoutes())
      .use(
        // The API's routes, with their bodies read by the edge (a parse hook on the docs' routes
        // would keep the docs plugin's own gate and headers from running).
        new Elysia({ name: "kriora-api" })
          // Every body is read here, never by Elysia: a credential first (except on public routes, which
          // get a few KB), then at most the route's limit within server.body_timeout_s, then a depth scan
          // before JSON.parse.
          .onParse(async ({ request }) => {
            const policy = bodyPolicy(URL.parse(request.url)?.pathname ?? "", maxBody);
            if (!policy.anonymous) await deps.auth.authenticate(request);
            // Every API body is JSON: a form, a file or an untyped body is refused (unread when its length is declared).
            const typed = policy.raw || isJson(request.headers.get("content-type"));
            if (!typed && Number(request.headers.get("content-length") ?? 0) > 0) throw notJson();
            const bytes = await readBody(request, policy.limit, bodyTimeoutMs);
            if (policy.raw) return textBody(bytes);
            if (!typed && bytes.length > 0) throw notJson();
            return parseJsonBody(bytes);
          })
          // Never reached (the reader above always answers); it tells the OpenAPI document that bodies are JSON.
          .onParse({ fn: "json" } as never)
          .use(opsRoutes(deps))
          .use(metricsRoutes(deps))
          .use(jwksRoutes(deps))
          .use(authRoutes(deps))
          .use(accountRoutes(deps))
          .use(overviewRoutes(deps))
          .use(accountKeyRoutes(deps))
          .use(adminRoutes(deps))
          .use(adminOpsRoutes(deps))
          .use(modelRoutes(deps))
          .use(usageRoutes(deps))
          .use(billingRoutes(deps))
          .use(adminBillingRoutes(deps))
          .use(privacyRoutes(deps))
          .use(adminPrivacyRoutes(deps))
          .use(webhookRoutes(deps)),
      )
  );
}

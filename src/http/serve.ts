import type { Server } from "bun";
import type { Deps } from "../deps";
import { createApp } from "./app";

export interface RunningServer {
  server: Server<undefined>;
  url: string;
  /**
   * Stop accepting connections; requests in flight get `graceMs` to finish (streams included).
   * Then streams still open end with a final error event in their own format (`deps.shutdown`),
   * and whatever has not closed a moment later is cut. Without a grace period everything is cut at once.
   */
  stop(graceMs?: number): Promise<void>;
}

/** How long streams get to send their closing event once the grace period is over. */
const CLOSING_MS = 2_000;

/**
 * Bind the app with `development: false` always (Bun's development error page can embed request
 * data), the body limit enforced also for bodies without a content-length, and TLS when configured.
 */
export function startServer(deps: Deps): RunningServer {
  const app = createApp(deps).compile();
  const { server: cfg } = deps.config;
  if (cfg.trust_proxy) deps.log.warn("deprecated_config", { key: "server.trust_proxy", use: 'server.trusted_proxies = ["127.0.0.0/8", "::1/128"]' });
  const tls = cfg.tls_cert ? { cert: Bun.file(cfg.tls_cert), key: Bun.file(cfg.tls_key) } : undefined;
  const server = Bun.serve({
    hostname: cfg.host,
    port: cfg.port,
    development: false,
    maxRequestBodySize: cfg.max_body_bytes,
    idleTimeout: 255,
    tls,
    fetch: (request) => app.handle(request),
  });
  // Routes reach the connection through Elysia's `server` (client address, per-request idle timeout).
  app.server = server;
  const url = `${tls ? "https" : "http"}://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${server.port}`;
  return {
    server,
    url,
    async stop(graceMs = 0) {
      if (graceMs <= 0) return server.stop(true);
      let force: Timer | undefined;
      const grace = setTimeout(() => {
        deps.shutdown.cut();
        force = setTimeout(() => void server.stop(true), CLOSING_MS);
      }, graceMs);
      await server.stop(false);
      clearTimeout(grace);
      clearTimeout(force);
    },
  };
}

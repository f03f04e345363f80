import type { Server } from "bun";
import type { Deps } from "../deps";
import { createApp } from "./app";

/** The URL a server with this config listens on at `port`. */
export const serverUrl = (cfg: { host: string; tls_cert: string }, port: number) =>
  `${cfg.tls_cert ? "https" : "http"}://${hostPort(cfg.host, port)}`;

/** The server could not listen; the message says on what and why (shown as is by the CLI). */
export class BindError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BindError";
  }
}

const hostPort = (host: string, port: number) => `${host.includes(":") ? `[${host}]` : host}:${port}`;

function bind<T>(cfg: { host: string; port: number }, listen: () => T): T {
  try {
    return listen();
  } catch (err) {
    const where = hostPort(cfg.host, cfg.port);
    const code = (err as { code?: unknown }).code;
    if (code === "EADDRINUSE") throw new BindError(`address ${where} is in use`);
    if (code === "EADDRNOTAVAIL")
      throw new BindError(`address ${where} is not an address of this machine (server.host)`);
    if (code === "EACCES") throw new BindError(`not allowed to listen on ${where} (ports below 1024 need privileges)`);
    throw new BindError(
      `cannot listen on ${where} (${typeof code === "string" ? code : err instanceof Error ? err.name : "error"})`,
    );
  }
}

/**
 * Check that the configured address is free with an exclusive bind (the same errors as a plain
 * `serve`) and return its port (a free one when the config says 0), released again at once.
 */
export function freePort(cfg: { host: string; port: number }): number {
  const probe = bind(cfg, () =>
    Bun.listen({ hostname: cfg.host, port: cfg.port, exclusive: true, socket: { data() {} } }),
  );
  const { port } = probe;
  probe.stop(true);
  return port;
}

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
export function startServer(deps: Deps, opts: { sharedPort?: boolean } = {}): RunningServer {
  const app = createApp(deps).compile();
  const { server: cfg } = deps.config;
  if (cfg.trust_proxy)
    deps.log.warn("deprecated_config", {
      key: "server.trust_proxy",
      use: 'server.trusted_proxies = ["127.0.0.0/8", "::1/128"]',
    });
  const tls = cfg.tls_cert ? { cert: Bun.file(cfg.tls_cert), key: Bun.file(cfg.tls_key) } : undefined;
  const server = bind(cfg, () =>
    Bun.serve({
      hostname: cfg.host,
      port: cfg.port,
      development: false,
      // Bun shares the port (SO_REUSEPORT) without this: a second `serve` would start silently
      // and the kernel would split the traffic between two servers, maybe on two databases.
      // Only the workers of one `serve --workers N` share it, after their parent checked it was free.
      reusePort: opts.sharedPort === true,
      maxRequestBodySize: cfg.max_body_bytes,
      idleTimeout: 255,
      tls,
      fetch: (request) => app.handle(request),
    }),
  );
  // Routes reach the connection through Elysia's `server` (client address, per-request idle timeout).
  app.server = server;
  const url = serverUrl(cfg, server.port ?? cfg.port);
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

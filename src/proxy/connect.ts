/** An origin that answered within this window is not probed again. */
const WARM_MS = 60_000;
const PROXY_VARIABLES = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

type Reach = "ok" | "timeout" | "refused";

export interface ConnectCheck {
  /** Whether the provider's host accepts a TCP connection within `timeoutMs`. */
  reachable(url: URL, timeoutMs: number): Promise<Reach>;
  /** The origin answered an HTTP request: it needs no probe for a while. */
  answered(url: URL): void;
}

/**
 * The connect timeout. Bun's fetch has none of its own (oven-sh/bun#33338), so a host that
 * drops packets would hold an attempt until the first-byte timeout, which must be long enough
 * for a model to think. Before calling an origin that has not answered in the last minute, a
 * bare TCP connect bounded by `connect_timeout_ms` tells a dead host from a slow model, and
 * failover happens in seconds. Steady traffic is never probed. Skipped when fetch goes through
 * an HTTP proxy (the origin may then be unreachable directly).
 */
export function createConnectCheck(env: Record<string, string | undefined>): ConnectCheck {
  const lastAnswer = new Map<string, number>();
  const viaProxy = PROXY_VARIABLES.some((name) => env[name]);
  return {
    async reachable(url, timeoutMs) {
      const last = lastAnswer.get(url.origin);
      if (viaProxy || (last !== undefined && performance.now() - last < WARM_MS)) return "ok";
      const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
      return tcpConnects(url.hostname.replace(/^\[|\]$/g, ""), port, timeoutMs);
    },
    answered(url) {
      lastAnswer.set(url.origin, performance.now());
    },
  };
}

function tcpConnects(hostname: string, port: number, timeoutMs: number): Promise<Reach> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    Bun.connect({ hostname, port, socket: { data() {} } }).then(
      (socket) => {
        clearTimeout(timer);
        socket.end();
        resolve("ok");
      },
      () => {
        clearTimeout(timer);
        resolve("refused");
      },
    );
  });
}

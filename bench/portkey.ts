import { join } from "node:path";
import { startChild, type Child } from "./procs";

/** Bun's fetch slots, as the bare proxy and Kriora get them. */
const FETCH_SLOTS = { BUN_CONFIG_MAX_HTTP_REQUESTS: "65336" };

/** A free loopback port (the gateway takes `--port=N` only, and prints localhost). */
function freeLoopbackPort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/**
 * Portkey's open-source gateway (npm `@portkey-ai/gateway`, its Node build) run on Bun, headless,
 * with the fake upstream as an OpenAI custom host. It keeps no keys and meters nothing: it is
 * the comparison the issue asks for, not a like-for-like one (Kriora authenticates, limits and
 * writes a usage row per request).
 */
export async function startPortkey(
  upstreamUrl: string,
  dir: string,
): Promise<Child & { headers: Record<string, string> }> {
  const port = freeLoopbackPort();
  const entry = join(import.meta.dir, "..", "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
  const child = await startChild(
    "portkey",
    [process.execPath, entry, `--port=${port}`, "--headless"],
    dir,
    /(http:\/\/localhost:\d+)/,
    { NODE_ENV: "production", ...FETCH_SLOTS },
  );
  return {
    ...child,
    url: `http://127.0.0.1:${port}`,
    headers: {
      authorization: "Bearer sk-bench-not-a-secret",
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": `${upstreamUrl}/v1`,
    },
  };
}

import { afterEach } from "bun:test";
import { startServer, type RunningServer } from "../../src/http/serve";
import { makeTestEnv, type TestEnv } from "./deps";

export interface TestServer {
  env: TestEnv;
  url: string;
  running: RunningServer;
}

/**
 * `serve(settings)`: the real server on a loopback port over a fresh data dir, `settings` being
 * lines of its `[server]` table. Every server a test starts is stopped after that test.
 */
export function serverPerTest(): (settings?: string) => Promise<TestServer> {
  const started: TestServer[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) {
      await s.running.stop();
      s.env.close();
    }
  });
  return async (settings = "") => {
    const env = await makeTestEnv(`[server]\nport = 0\n${settings}`);
    const running = startServer(env.deps);
    const server = { env, url: running.url, running };
    started.push(server);
    return server;
  };
}

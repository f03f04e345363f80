import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import { openDeps, type Deps } from "../../src/deps";
import { startServer, type RunningServer } from "../../src/http/serve";
import { captureLog, type CapturedLog } from "../helpers/deps";
import { STRIPE_ENV, startFakeStripe } from "../helpers/fakeStripe";

export interface Instance {
  deps: Deps;
  log: CapturedLog;
  server: RunningServer;
}

export interface Cluster {
  dir: string;
  instances: Instance[];
  close(): Promise<void>;
}

/**
 * `n` gateway instances in this process, each with its own deps (its own memory, its own Redis
 * connections) on one data dir and one Redis prefix, each serving on its own loopback port:
 * what several `kriora serve` on one database and one Redis look like, minus the processes.
 */
export async function startCluster(n: number, toml: string): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "kriora-cluster-"));
  const file = join(dir, "kriora.toml");
  writeFileSync(file, `[server]\nport = 0\npublic_url = "https://gw.example.test"\n${toml}`);
  const config = loadConfig({ file, dataDir: join(dir, "data"), env: {} });
  const stripe = startFakeStripe();
  const instances: Instance[] = [];
  for (let i = 0; i < n; i++) {
    const log = captureLog();
    const deps = await openDeps(config, { log, env: STRIPE_ENV, stripe: stripe.endpoint });
    instances.push({ deps, log, server: startServer(deps) });
  }
  return {
    dir,
    instances,
    async close() {
      for (const i of instances) {
        await i.server.stop();
        await i.deps.usageWriter.close();
        await i.deps.coord.close();
        i.deps.handle.close();
      }
      stripe.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private redis-server on a free port, to stop and start again (never the shared one). */
export async function startPrivateRedis(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void> }> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    proc = Bun.spawn(
      ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    for (let i = 0; i < 100; i++) {
      const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
        (s) => (s.end(), true),
        () => false,
      );
      if (ok) return;
      await Bun.sleep(20);
    }
    throw new Error("redis-server did not start");
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      proc?.kill(9);
      await proc?.exited;
      proc = null;
    },
  };
}

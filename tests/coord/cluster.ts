import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load";
import { openDeps, type Deps } from "../../src/deps";
import { startServer, type RunningServer } from "../../src/http/serve";
import { captureLog, type CapturedLog } from "../helpers/deps";
import { STRIPE_ENV, startFakeStripe } from "../helpers/fakeStripe";
import { databaseEnv, dropDatabase } from "../helpers/pg";

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
  const dataDir = join(dir, "data");
  const config = loadConfig({ file, dataDir, env: await databaseEnv(dataDir) });
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
        await i.deps.handle.close();
      }
      await dropDatabase(dataDir);
      stripe.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

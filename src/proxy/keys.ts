import type { Config } from "../config/schema";
import type { Logger } from "../lib/log";

/** Every provider and deployment key the configuration names, read once from the environment by variable name. */
export function providerKeys(config: Readonly<Config>, log: Logger): Map<string, string> {
  const names = new Set([
    ...config.providers.map((p) => p.api_key_env),
    ...config.models.flatMap((m) => m.deployments.map((d) => d.api_key_env)),
  ]);
  const keys = new Map<string, string>();
  for (const name of names) {
    if (!name) continue;
    keys.set(name, process.env[name] ?? "");
    if (!keys.get(name)) log.warn("provider_key_missing", { env: name });
  }
  return keys;
}

import { describe, expect, test } from "bun:test";
import type { ProviderConfig } from "../../src/config/schema";
import { KrioraError } from "../../src/lib/errors";
import { runAttempts } from "../../src/proxy/attempts";
import { createCooldowns } from "../../src/proxy/cooldown";
import { statusFailure } from "../../src/proxy/failure";
import type { Target } from "../../src/proxy/routing";

const routing = {
  retries: 0,
  backoff_base_ms: 250,
  backoff_max_ms: 8_000,
  max_retry_wait_ms: 10_000,
  cooldown_failures: 1,
  cooldown_s: 10,
  models_refresh_s: 600,
};
const target = (key: string): Target => ({
  provider: { id: key } as ProviderConfig,
  upstream: key,
  apiKeyEnv: "",
  key,
});

describe("the attempt loop and the circuit's half-open probe", () => {
  test("a probe that is refused before it is sent (it throws) frees the probe for the next request", async () => {
    let now = 0;
    const cooldowns = createCooldowns(routing, { now: () => now });
    cooldowns.settle("a", "failed", null);
    now = 10_000;
    const plan = {
      targets: [target("a")],
      routing,
      cooldowns,
      timing: { random: () => 0.5, sleep: async () => {} },
      client: new AbortController().signal,
      failed: () => {},
    };
    await expect(
      runAttempts({
        ...plan,
        attempt: async () => Promise.reject(new KrioraError("invalid_request", "cannot be translated")),
      }),
    ).rejects.toThrow("cannot be translated");
    const tried: string[] = [];
    const result = await runAttempts({
      ...plan,
      attempt: async (t) => (tried.push(t.key), { ok: false, failure: statusFailure(500, null, null) }),
    });
    expect(tried).toEqual(["a"]);
    expect(result).toMatchObject({ ok: false, target: { key: "a" } });
  });
});

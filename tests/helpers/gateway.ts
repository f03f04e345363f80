import type { Authenticator, Principal } from "../../src/auth/principal";
import type { Scope } from "../../src/keys/scopes";
import { startServer, type RunningServer } from "../../src/http/serve";
import { KrioraError } from "../../src/lib/errors";
import type { UsageEvent } from "../../src/usage/sink";
import { MemoryUsageSink } from "./usage";
import { makeTestEnv, type TestEnv } from "./deps";
import { startFakeUpstream, type FakeUpstream } from "./fakeUpstream";

/** The gateway's own provider keys, read from env by the proxy; the fake checks it receives these. */
export const PROVIDER_KEYS = {
  openai: "sk-provider-openai-7c1",
  anthropic: "sk-provider-anthropic-3b9",
  gemini: "gm-provider-gemini-5e2",
};
process.env.FAKE_OPENAI_KEY = PROVIDER_KEYS.openai;
process.env.FAKE_ANTHROPIC_KEY = PROVIDER_KEYS.anthropic;
process.env.FAKE_GEMINI_KEY = PROVIDER_KEYS.gemini;

export function testPrincipal(policy: Partial<Principal["policy"]> = {}, scopes: Scope[] = ["model"]): Principal {
  return {
    accountId: "acc_test",
    role: "user",
    keyId: "key_test",
    via: "api_key",
    scopes: new Set(scopes),
    policy: {
      requireZdr: false,
      regions: null,
      models: null,
      rpm: null,
      tpm: null,
      monthlyBudgetMicros: null,
      ...policy,
    },
  };
}

/** Client keys of the in-test authenticator (the real key verifier lives in src/keys). */
export const KEYS = {
  user: "kr_test_user",
  zdr: "kr_test_requires_zdr",
  eu: "kr_test_eu_only",
  limited: "kr_test_only_gpt_test",
  noModelScope: "kr_test_account_scope",
};

const principals: Record<string, Principal> = {
  [KEYS.user]: testPrincipal(),
  [KEYS.zdr]: testPrincipal({ requireZdr: true }),
  [KEYS.eu]: testPrincipal({ regions: ["eu"] }),
  [KEYS.limited]: testPrincipal({ models: ["gpt-test"] }),
  [KEYS.noModelScope]: testPrincipal({}, ["account"]),
};

/** Maps `Authorization: Bearer <key>` or `x-api-key: <key>` to a fixed principal. */
export const tokenAuthenticator: Authenticator = {
  async authenticate(request) {
    const key = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? request.headers.get("x-api-key") ?? "";
    const principal = principals[key];
    if (!principal) throw new KrioraError("unauthenticated", "Missing or invalid API key.");
    return principal;
  },
};

export interface ProviderSpec {
  id: string;
  kind: "openai" | "anthropic" | "gemini";
  /** The server's origin; the provider's base URL is this plus `/v1`. */
  url: string;
  zdr?: boolean;
  region?: string;
  /** Further `key = value` lines (timeouts). */
  extra?: string[];
}

/** One `[[providers]]` table, keyed with the gateway's test provider key of its format. */
export function providerToml(p: ProviderSpec): string {
  const keyEnv = { openai: "FAKE_OPENAI_KEY", anthropic: "FAKE_ANTHROPIC_KEY", gemini: "FAKE_GEMINI_KEY" }[p.kind];
  const lines = [
    `id = "${p.id}"`,
    `kind = "${p.kind}"`,
    `base_url = "${p.url}/v1"`,
    `api_key_env = "${keyEnv}"`,
    `zdr = ${p.zdr ?? false}`,
    `region = "${p.region ?? "us"}"`,
  ];
  return ["[[providers]]", ...lines, ...(p.extra ?? [])].join("\n") + "\n";
}

/** Providers of both formats at the fake upstream; with no [[models]], model names pass through. */
export function providersToml(fakeUrl: string): string {
  // No limits here: these suites test relaying; tests/limits exercise admission.
  return `[server]\nport = 0\n[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n${providerToml({ id: "oa", kind: "openai", url: fakeUrl, zdr: true, region: "eu" })}${providerToml({ id: "an", kind: "anthropic", url: fakeUrl })}`;
}

export interface Gateway {
  env: TestEnv;
  fake: FakeUpstream;
  server: RunningServer;
  url: string;
  usage: MemoryUsageSink;
  /** Wait until `n` usage events were recorded (streams record when they end). */
  events(n: number): Promise<UsageEvent[]>;
  close(): Promise<void>;
}

/** The real server on a loopback port, in front of a fresh fake upstream. `toml` gets the fake's URL. */
export async function startGateway(toml: (fakeUrl: string) => string = providersToml): Promise<Gateway> {
  const fake = startFakeUpstream();
  const env = await makeTestEnv(toml(fake.url));
  const usage = new MemoryUsageSink();
  env.deps.auth = tokenAuthenticator;
  env.deps.usage = usage;
  const server = startServer(env.deps);
  return {
    env,
    fake,
    server,
    url: server.url,
    usage,
    async events(n) {
      const deadline = Date.now() + 5_000;
      while (usage.events.length < n && Date.now() < deadline) await Bun.sleep(5);
      return usage.events;
    },
    async close() {
      await server.stop();
      await fake.stop();
      env.close();
    },
  };
}

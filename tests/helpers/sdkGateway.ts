import { expect } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { usageEvents } from "../../src/db/schema";
import { startServer, type RunningServer } from "../../src/http/serve";
import type { RetryTiming } from "../../src/proxy/attempts";
import { makeTestEnv, type TestEnv } from "./deps";
import { startFakeUpstream, type FakeUpstream } from "./fakeUpstream";
import { makeAccount, makeKey } from "./identity";
import { all, exec } from "../../src/db/tx";

export interface SdkGateway {
  env: TestEnv;
  fake: FakeUpstream;
  server: RunningServer;
  /** A real key of a real account, as the official SDKs below send it. */
  key: string;
  openai: OpenAI;
  anthropic: Anthropic;
  /** The one usage row of the request just made, once its stream ended and the writer flushed. */
  row(): Promise<typeof usageEvents.$inferSelect>;
  /** Forget the fake's requests and the usage rows (before each test). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The real server (real key verifier and usage writer, no limits) in front of a fresh fake
 * upstream, with the official `openai` and `@anthropic-ai/sdk` clients (no retries of their own).
 * `toml` gets the fake's URL and gives the providers and models.
 */
export async function startSdkGateway(
  toml: (fakeUrl: string) => string,
  opts: { email: string; retryTiming?: RetryTiming },
): Promise<SdkGateway> {
  const fake = startFakeUpstream();
  const env = await makeTestEnv(`[server]\nport = 0\n[limits]\nrpm = 0\ntpm = 0\nconcurrency = 0\n${toml(fake.url)}`);
  if (opts.retryTiming) env.deps.retryTiming = opts.retryTiming;
  const account = await makeAccount(env.deps, opts.email);
  const { key } = await makeKey(env.deps, account.id);
  const server = startServer(env.deps);
  return {
    env,
    fake,
    server,
    key,
    openai: new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 }),
    anthropic: new Anthropic({ apiKey: key, baseURL: server.url, maxRetries: 0 }),
    async row() {
      for (let i = 0; i < 200; i++) {
        await env.deps.usageWriter.flush();
        const rows = await all(env.deps.db.select().from(usageEvents));
        if (rows.length > 0) {
          expect(rows).toHaveLength(1);
          return rows[0]!;
        }
        await Bun.sleep(10);
      }
      throw new Error("no usage row was written");
    },
    async reset() {
      fake.requests.length = 0;
      await env.deps.usageWriter.flush();
      await exec(env.deps.db.delete(usageEvents));
    },
    async close() {
      await server.stop();
      await fake.stop();
      env.close();
    },
  };
}

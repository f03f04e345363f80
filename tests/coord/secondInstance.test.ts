import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { createTestSchema, type TestSchema } from "../helpers/pg";
import { serveWorkspace, startServe, type Served } from "../helpers/process";
import { skipWithout } from "../helpers/services";

// PostgreSQL without Redis is for one instance: a second `serve` on the same database stops and says why.
const MAIN = join(import.meta.dir, "../../src/main.ts");
const ws = serveWorkspace("kriora-second-");
let schema: TestSchema | undefined;
let first: Served | undefined;
afterAll(async () => {
  await first?.stop();
  await schema?.drop();
});

describe.skipIf(skipWithout("postgres"))("a second instance without Redis", () => {
  test("is refused with the reason while the first serves (the first still stops cleanly)", async () => {
    schema = await createTestSchema();
    writeFileSync(ws.config, "");
    const env = { KRIORA_DATABASE_URL: schema.url };
    first = await startServe([process.execPath, MAIN, "serve", "--data", ws.data, "--config", ws.config], ws.dir, env);
    const err: string[] = [];
    const second = () =>
      runCli(["serve", "--data", join(ws.dir, "second"), "--config", ws.config], {
        out: () => {},
        err: (t) => void err.push(t),
        env: { ...env, KRIORA_SERVER_PORT: "0" },
      });
    expect(await second()).toBe(1);
    expect(err.join("")).toContain("several instances need redis.url");
    expect(err.join("")).not.toContain(schema.url);
    expect(await first.stop()).toBe(0);
    first = undefined;
  });
});

describe("config check", () => {
  test("prints database.url and redis.url without their passwords", async () => {
    let out = "";
    const code = await runCli(["config", "check", "--json", "--data", join(ws.dir, "check")], {
      out: (t) => void (out += t),
      err: () => {},
      env: {
        KRIORA_DATABASE_URL: "postgres://kriora:pg-canary-secret@db.internal:5432/kriora",
        KRIORA_REDIS_URL: "redis://:redis-canary-secret@cache.internal:6379/0",
      },
    });
    expect(code).toBe(0);
    const shown = JSON.parse(out);
    expect(shown.database.url).toBe("postgres://kriora:***@db.internal:5432/kriora");
    expect(shown.redis.url).toBe("redis://:***@cache.internal:6379/0");
    expect(out).not.toContain("canary-secret");
  });
});

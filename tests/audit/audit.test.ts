import { afterEach, describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli/run";
import { makeTestEnv, type TestEnv } from "../helpers/deps";

let env: TestEnv | undefined;
afterEach(() => env?.close());

async function seed(e: TestEnv, n: number) {
  for (let i = 1; i <= n; i++)
    await e.deps.audit.record({ actor: "cli", action: "test.action", target: `acc_${i}`, details: { i } });
}

async function cli(e: TestEnv, ...argv: string[]) {
  let out = "";
  let err = "";
  e.deps.handle.close();
  const code = await runCli([...argv, "--data", `${e.dir}/data`, "--config", `${e.dir}/kriora.toml`], {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: {},
  });
  return { code, out, err };
}

describe("§9 internal audit logs", () => {
  test("entries are chained: each holds the previous entry's hash", async () => {
    env = await makeTestEnv();
    await seed(env, 3);
    const rows = await env.deps.audit.tail(10);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]!.prevHash).toBe("0".repeat(64));
    expect(rows[1]!.prevHash).toBe(rows[0]!.hash);
    expect(rows[2]!.prevHash).toBe(rows[1]!.hash);
    expect(await env.deps.audit.verify()).toEqual({ ok: true, entries: 3 });
  });

  test("UPDATE and DELETE through SQL are rejected by the database", async () => {
    env = await makeTestEnv();
    await seed(env, 2);
    const sqlite = env.deps.handle.sqlite;
    expect(() => sqlite.run("UPDATE audit_log SET action = 'forged' WHERE seq = 1")).toThrow("append-only");
    expect(() => sqlite.run("DELETE FROM audit_log WHERE seq = 2")).toThrow("append-only");
    expect(await env.deps.audit.verify()).toEqual({ ok: true, entries: 2 });
  });

  test("a row altered with the triggers dropped is found by `audit verify`", async () => {
    env = await makeTestEnv();
    await seed(env, 5);
    const sqlite = env.deps.handle.sqlite;
    sqlite.run("DROP TRIGGER audit_log_no_update");
    sqlite.run("UPDATE audit_log SET target = 'acc_forged' WHERE seq = 3");
    expect(await env.deps.audit.verify()).toMatchObject({ ok: false, firstBroken: 3 });
    const res = await cli(env, "audit", "verify", "--json");
    expect(res.code).toBe(1);
    expect(JSON.parse(res.out)).toMatchObject({ ok: false, firstBroken: 3 });
  });

  test("a deleted row is found by `audit verify`", async () => {
    env = await makeTestEnv();
    await seed(env, 4);
    env.deps.handle.sqlite.run("DROP TRIGGER audit_log_no_delete");
    env.deps.handle.sqlite.run("DELETE FROM audit_log WHERE seq = 2");
    const res = await cli(env, "audit", "verify");
    expect(res.code).toBe(1);
    expect(res.out).toContain("broken at entry 3");
  });

  test("`audit verify` on an intact trail exits 0 and `audit tail` shows the newest entries", async () => {
    env = await makeTestEnv();
    await seed(env, 3);
    const ok = await cli(env, "audit", "verify", "--json");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({ ok: true, entries: 3 });
    const tail = await cli(env, "audit", "tail", "--limit", "2", "--json");
    expect(tail.code).toBe(0);
    expect(JSON.parse(tail.out).map((r: { seq: number }) => r.seq)).toEqual([2, 3]);
  });
});

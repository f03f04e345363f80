import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { objectToProcessing } from "../../src/privacy/objection";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { makeAccount } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const repo = join(import.meta.dir, "../..");

async function report(...flags: string[]) {
  let out = "";
  const code = await runCli(
    ["privacy", "report", ...flags, "--config", join(env!.dir, "kriora.toml"), "--data", join(env!.dir, "data")],
    { out: (t) => void (out += t), err: () => {}, env: {} },
  );
  return { code, out };
}

describe("§1–§17 conformance: `kriora privacy report`", () => {
  test("names every clause once, each enforced one with a mechanism and tests that exist, with the live settings and the ledger's state", async () => {
    env = await makeTestEnv(
      `[retention]\nip_days = 14\n[[providers]]\nid = "eu-zdr"\nkind = "openai"\nbase_url = "http://127.0.0.1:1/v1"\nzdr = true\nregion = "eu"\n`,
    );
    const ann = await makeAccount(env.deps, "ann@example.com");
    await objectToProcessing(env.deps, ann.id, "abuse_detection", "cli");
    const { code, out } = await report("--json");
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.clauses.map((c: { clause: string }) => c.clause)).toEqual(
      Array.from({ length: 17 }, (_, i) => `§${i + 1}`),
    );
    for (const c of doc.clauses as { clause: string; status: string; mechanisms: string[]; tests: string[] }[]) {
      if (c.status === "enforced")
        expect([c.clause, c.mechanisms.length > 0, c.tests.length > 0]).toEqual([c.clause, true, true]);
      for (const t of c.tests) expect([c.clause, t, existsSync(join(repo, t))]).toEqual([c.clause, t, true]);
    }
    expect(doc.settings.retention.ip_days).toBe(14);
    expect(doc.settings.providers).toEqual([{ id: "eu-zdr", zdr: true, region: "eu" }]);
    expect(doc.rights_requests).toEqual({ total: 1, open: 1, overdue: 0 });

    const human = await report();
    expect(human.code).toBe(0);
    for (const clause of [
      "§8 Data retention and deletion: enforced",
      "§13 Limitation of liability: contractual",
      "ip_days=14",
    ])
      expect(human.out).toContain(clause);
  });
});

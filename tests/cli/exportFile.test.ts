import { afterEach, describe, expect, test } from "bun:test";
import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rightsRequests } from "../../src/db/schema";
import { runKriora } from "../helpers/cli";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { seedPerson } from "../helpers/privacy";
import { all } from "../../src/db/tx";

let env: TestEnv | undefined;
afterEach(() => env?.close());

const accessRequests = async (e: TestEnv) =>
  (await all(e.deps.db.select().from(rightsRequests))).filter((r) => r.kind === "access");

describe("§9 security of processing: `accounts export --out` writes only a new private file", () => {
  test("an existing file (mode 0644) is refused and left as it was; --force replaces it with a 0600 file", async () => {
    env = await makeTestEnv();
    const ann = await seedPerson(env.deps, "ann");
    const out = join(env.dir, "export.json");
    writeFileSync(out, "old\n", { mode: 0o644 });
    const refused = await runKriora(join(env.dir, "data"), ["accounts", "export", ann.id, "--out", out]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("already exists");
    expect(readFileSync(out, "utf8")).toBe("old\n");
    expect(await accessRequests(env)).toEqual([]);

    const forced = await runKriora(join(env.dir, "data"), ["accounts", "export", ann.id, "--out", out, "--force"]);
    expect([forced.code, forced.err]).toEqual([0, ""]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8")).usage.events[0].ip).toBe(ann.ip);
  });

  test("a symlink at the path is never followed: refused without --force, replaced (not its target) with it", async () => {
    const e = (env = await makeTestEnv());
    const ann = await seedPerson(e.deps, "ann");
    const victim = join(env.dir, "victim.txt");
    writeFileSync(victim, "keep me\n", { mode: 0o644 });
    const link = join(env.dir, "link.json");
    symlinkSync(victim, link);
    const dangling = join(env.dir, "dangling.json");
    symlinkSync(join(env.dir, "not-yet.json"), dangling);

    for (const path of [link, dangling])
      expect((await runKriora(join(e.dir, "data"), ["accounts", "export", ann.id, "--out", path])).code).toBe(1);
    expect(() => statSync(join(e.dir, "not-yet.json"))).toThrow();

    const forced = await runKriora(join(env.dir, "data"), ["accounts", "export", ann.id, "--out", link, "--force"]);
    expect([forced.code, forced.err]).toEqual([0, ""]);
    expect(readFileSync(victim, "utf8")).toBe("keep me\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(lstatSync(link).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(link, "utf8")).account.id).toBe(ann.id);
  });

  test("positive control: a new path is created with mode 0600 and records one access request", async () => {
    env = await makeTestEnv();
    const ann = await seedPerson(env.deps, "ann");
    const out = join(env.dir, "fresh.json");
    const r = await runKriora(join(env.dir, "data"), ["accounts", "export", ann.id, "--out", out]);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(await accessRequests(env)).toHaveLength(1);
  });
});

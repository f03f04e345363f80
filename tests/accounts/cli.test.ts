import { afterEach, describe, expect, test } from "bun:test";
import { SYNC_MS } from "../../src/auth/view";
import { runCli } from "../../src/cli/run";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

async function kriora(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, "--data", `${env!.dir}/data`], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
  });
  return { code, out: out.join(""), err: err.join("") };
}
const kjson = async (...args: string[]) => {
  const r = await kriora(...args, "--json");
  expect([args.join(" "), r.code, r.err]).toEqual([args.join(" "), 0, ""]);
  return JSON.parse(r.out);
};

describe("CLI: accounts", () => {
  test("create → {id, email, …}; show and list accept the email in any case or the id; duplicates fail with exit 1", async () => {
    env = await makeTestEnv();
    const created = await kjson("accounts", "create", "--email", " Pat@Example.com", "--admin");
    expect(created).toMatchObject({ email: "pat@example.com", role: "admin", status: "active" });
    expect(created.id).toMatch(/^acc_/);
    expect((await kjson("accounts", "show", "PAT@example.com")).id).toBe(created.id);
    expect((await kjson("accounts", "show", created.id)).email).toBe("pat@example.com");
    expect((await kjson("accounts", "list")).map((a: { id: string }) => a.id)).toEqual([created.id]);
    const dup = await kriora("accounts", "create", "--email", "pat@example.com");
    expect(dup.code).toBe(1);
    expect(dup.err).toContain("already exists");
    expect((await kriora("accounts", "create")).code).toBe(2);
    expect((await kriora("accounts", "show", "nobody@example.com")).code).toBe(1);
  });

  test("set-email, suspend, unsuspend; every change and every read is audited with actor cli and an id target", async () => {
    env = await makeTestEnv();
    const { id } = await kjson("accounts", "create", "--email", "old@example.com");
    expect((await kjson("accounts", "set-email", "old@example.com", "New@Example.com")).email).toBe("new@example.com");
    expect((await kjson("accounts", "suspend", "new@example.com")).status).toBe("suspended");
    expect((await kriora("accounts", "suspend", id)).code).toBe(1);
    expect((await kjson("accounts", "unsuspend", id)).status).toBe("active");
    await kjson("accounts", "show", id);
    await kjson("accounts", "list");
    const trail = await kjson("audit", "tail");
    expect(trail.map((e: { action: string }) => e.action)).toEqual([
      "account.create",
      "account.set_email",
      "account.suspend",
      "account.unsuspend",
      "account.read",
      "accounts.list",
    ]);
    for (const e of trail) expect(e.actor).toBe("cli");
    expect(trail.slice(0, 5).every((e: { target: string }) => e.target === id)).toBe(true);
    expect(JSON.stringify(trail)).not.toContain("@");
  });
});

describe("CLI: keys and keyring", () => {
  test("keys issue prints the key once ({id, key, …} with --json) and it authenticates; list never shows it; revoke stops it", async () => {
    env = await makeTestEnv();
    const { id: accountId } = await kjson("accounts", "create", "--email", "dev@example.com");
    const issued = await kjson(
      "keys",
      "issue",
      "--account",
      "DEV@example.com",
      "--name",
      "laptop",
      "--scopes",
      "model,account",
      "--expires",
      "90d",
      "--rpm",
      "10",
      "--tpm",
      "5000",
      "--budget",
      "2.50",
    );
    expect(issued).toMatchObject({
      account_id: accountId,
      name: "laptop",
      scopes: ["model", "account"],
      rpm: 10,
      tpm: 5000,
      monthly_budget_usd: 2.5,
    });
    expect(issued.key).toStartWith("kr_");
    expect(Date.parse(issued.expires_at) - Date.parse(issued.created_at)).toBeGreaterThan(89 * 86_400_000);
    const app = createApp(env.deps);
    expect((await call(app, "GET", "/account", { key: issued.key })).status).toBe(200);

    const listed = await kjson("keys", "list", "--account", accountId);
    expect(listed.map((k: { id: string }) => k.id)).toEqual([issued.id]);
    expect(listed[0].monthly_budget_usd).toBe(2.5);
    expect(JSON.stringify(listed)).not.toContain(issued.key.slice(3, 30));

    expect((await kjson("keys", "revoke", issued.id)).revoked_at).not.toBeNull();
    await Bun.sleep(SYNC_MS); // another connection's commit is seen within SYNC_MS
    expect((await call(app, "GET", "/account", { key: issued.key })).status).toBe(401);
    const actions = (await kjson("audit", "tail")).map((e: { action: string; target: string }) => [e.action, e.target]);
    expect(actions).toContainEqual(["key.issue", issued.id]);
    expect(actions).toContainEqual(["key.revoke", issued.id]);
  });

  test("human output shows the key exactly once; bad flags are usage errors (exit 2)", async () => {
    env = await makeTestEnv();
    await kjson("accounts", "create", "--email", "h@example.com");
    const human = await kriora("keys", "issue", "--account", "h@example.com");
    expect(human.code).toBe(0);
    expect(human.out.match(/kr_[\w.-]+/g)).toHaveLength(1);
    expect((await kriora("keys", "issue")).code).toBe(2);
    expect((await kriora("keys", "issue", "--account", "h@example.com", "--expires", "soon")).code).toBe(2);
    expect((await kriora("keys", "issue", "--account", "h@example.com", "--scopes", "model,root")).code).toBe(1);
    expect((await kriora("keys", "issue", "--account", "h@example.com", "--scopes", "admin")).code).toBe(1);
    expect((await kriora("keys", "revoke")).code).toBe(2);
  });

  test("keyring rotate → {kid}, audited", async () => {
    env = await makeTestEnv();
    const { kid } = await kjson("keyring", "rotate");
    expect(kid).toMatch(/^kid_/);
    expect((await kjson("audit", "tail")).at(-1)).toMatchObject({
      actor: "cli",
      action: "keyring.rotate",
      target: kid,
    });
  });
});

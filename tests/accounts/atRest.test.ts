import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { requestLoginLink } from "../../src/accounts/magicLinks";
import { runCli } from "../../src/cli/run";
import { createApp } from "../../src/http/app";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeSessionCookie } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

/** Which of the database files (main, WAL, shared memory) contain the needle, as UTF-8 bytes. */
function filesContaining(dbPath: string, needle: string): string[] {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter(
    (f) => existsSync(f) && readFileSync(f).includes(Buffer.from(needle)),
  );
}

describe("§9 encryption at rest: no plaintext email or raw key in the database files", () => {
  test("email, key, session and link secrets are absent from .db, -wal and -shm; a clear canary written beside them is found", async () => {
    env = await makeTestEnv();
    const dbPath = env.deps.config.database.path;
    const tag = randomBytes(6).toString("hex");
    const typed = `Canary.${tag}@Example.COM`;
    const email = typed.toLowerCase();
    const keyName = `visible-canary-${tag}`;
    const out: string[] = [];
    const cli = (args: string[]) =>
      runCli([...args, "--json", "--data", `${env!.dir}/data`], { out: (t) => out.push(t), err: () => {}, env: {} });

    out.length = 0;
    expect(await cli(["accounts", "create", "--email", typed])).toBe(0);
    const account = JSON.parse(out.join(""));
    out.length = 0;
    expect(await cli(["keys", "issue", "--account", email, "--name", keyName, "--scopes", "model,account"])).toBe(0);
    const { key } = JSON.parse(out.join(""));

    const app = createApp(env.deps);
    expect((await call(app, "GET", "/account", { key })).status).toBe(200);
    const session = (await makeSessionCookie(env.deps, account.id)).split("=")[1]!;
    await requestLoginLink(env.deps, email);

    const secrets = {
      email,
      "email as typed": typed,
      key,
      "key signature": key.split(".")[2],
      "session secret": session.split(".")[1]!,
    };
    for (const when of ["while open", "after close"]) {
      if (when === "after close") env.deps.handle.close();
      expect(filesContaining(dbPath, keyName).length).toBeGreaterThan(0);
      for (const [what, value] of Object.entries(secrets))
        expect([when, what, filesContaining(dbPath, value)]).toEqual([when, what, []]);
    }
  });
});

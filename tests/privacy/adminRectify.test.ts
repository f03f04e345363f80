import { afterEach, describe, expect, test } from "bun:test";
import { findAccountByEmail } from "../../src/accounts/accounts";
import { createApp } from "../../src/http/app";
import { listRequests } from "../../src/privacy/rights";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { call, makeAccount, makeKey } from "../helpers/identity";

let env: TestEnv | undefined;
afterEach(() => env?.close());

describe("§14 correction (Art. 16) by an admin", () => {
  test("PUT /admin/accounts/:id/email corrects the address and records a completed rectify request", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const person = await makeAccount(deps, "old-address@example.com");
    const admin = await makeAccount(deps, "admin@example.com", "admin");
    const { key } = await makeKey(deps, admin.id, { scopes: ["admin", "account"] });
    const res = await call(createApp(deps), "PUT", `/admin/accounts/${person.id}/email`, {
      key,
      body: { email: "new-address@example.com" },
    });
    expect(res.status).toBe(200);
    expect((await findAccountByEmail(deps, "new-address@example.com"))?.id).toBe(person.id);
    const [request] = await listRequests(deps, { accountId: person.id });
    expect(request).toMatchObject({ kind: "rectify", scope: "email", outcome: "done", overdue: false });
    expect(request!.completed_at).not.toBeNull();
  });
});

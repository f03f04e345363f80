import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { createApp } from "../../src/http/app";
import { ExportModel } from "../../src/http/routes/privacySchemas";
import { objectToProcessing } from "../../src/privacy/objection";
import { makeTestEnv, type TestEnv } from "../helpers/deps";
import { json } from "../helpers/http";
import { runKriora } from "../helpers/cli";
import { call, makeAccount, makeKey } from "../helpers/identity";
import { seedPerson } from "../helpers/privacy";

let env: TestEnv | undefined;
afterEach(() => env?.close());

function schemaErrors(doc: unknown): string[] {
  return [...Value.Errors(ExportModel, doc)].map((e) => `${e.path}: ${e.message}`);
}

describe("§14 access: the data export holds everything about the person and nothing about anyone else", () => {
  test("POST /account/export: account, consents, keys, sessions, usage with decrypted IP, aggregates, ledger, rights requests, audit; validates against its schema", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann", { requests: 3 });
    const bob = await seedPerson(deps, "bob");
    await objectToProcessing(deps, ann.id, "usage_trends", `account:${ann.id}`);
    const app = createApp(deps);

    const res = await call(app, "POST", "/account/export", { key: ann.key });
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(schemaErrors(doc)).toEqual([]);
    expect(doc.schema).toBe("kriora.export/v1");
    expect(doc.account).toMatchObject({ id: ann.id, email: ann.email, status: "active" });
    expect(doc.consents.usage_trends_objection_at).not.toBeNull();
    expect(doc.keys.map((k: { id: string; name: string }) => [k.id, k.name])).toEqual([[ann.keyId, ann.keyName]]);
    expect(doc.sessions).toHaveLength(1);
    expect(doc.usage.events).toHaveLength(3);
    expect(
      doc.usage.events.every((e: { ip: string; key_id: string }) => e.ip === ann.ip && e.key_id === ann.keyId),
    ).toBe(true);
    expect(doc.usage.daily.reduce((n: number, d: { requests: number }) => n + d.requests, 0)).toBe(3);
    expect(doc.billing.ledger.map((l: { kind: string; amount_usd: string }) => [l.kind, l.amount_usd])).toEqual([
      ["grant", "5.00"],
    ]);
    expect(doc.billing.balance_usd).toBe("5.00");
    expect(doc.rights_requests.map((r: { kind: string; outcome: string }) => [r.kind, r.outcome])).toEqual([
      ["object", "done"],
      ["access", "done"],
    ]);
    const actions = doc.audit.map((a: { action: string }) => a.action);
    for (const a of ["account.create", "key.issue", "billing.grant", "account.object", "account.export"])
      expect(actions).toContain(a);

    const text = JSON.stringify(doc);
    for (const other of [bob.id, bob.email, bob.ip, bob.keyId, bob.keyName]) expect(text).not.toContain(other);
  });

  test("the export's schema is published in /openapi.json", async () => {
    env = await makeTestEnv();
    const spec = await json(await createApp(env.deps).handle(new Request("http://localhost/openapi.json")));
    const ref: string = spec.paths["/account/export"].post.responses["200"].content["application/json"].schema.$ref;
    const schema = JSON.stringify(spec.components.schemas[ref.replace("#/components/schemas/", "")]);
    for (const field of ["kriora.export/v1", "usage", "rights_requests", "audit", "ledger"])
      expect(schema).toContain(field);
  });

  test("an admin's export is an audited read recorded as an access request; `accounts export --out` writes the same document, mode 0600", async () => {
    env = await makeTestEnv();
    const deps = env.deps;
    const ann = await seedPerson(deps, "ann");
    const admin = await makeAccount(deps, "ops@example.com", "admin");
    const adminKey = (await makeKey(deps, admin.id, { scopes: ["admin"] })).key;
    const viaAdmin = await json(
      await call(createApp(deps), "POST", `/admin/accounts/${ann.id}/export`, { key: adminKey }),
    );
    expect(schemaErrors(viaAdmin)).toEqual([]);
    expect(viaAdmin.audit.at(-1)).toMatchObject({
      actor: `admin:${admin.id}`,
      action: "account.export",
      target: ann.id,
    });
    expect(viaAdmin.rights_requests.at(-1)).toMatchObject({ kind: "access", channel: "admin", outcome: "done" });

    const out = join(env.dir, "export.json");
    const cli = await runKriora(join(env.dir, "data"), ["accounts", "export", ann.email, "--out", out, "--json"]);
    expect([cli.code, cli.err]).toEqual([0, ""]);
    expect(JSON.parse(cli.out)).toEqual({ account_id: ann.id, schema: "kriora.export/v1", out });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(out, "utf8"));
    expect(schemaErrors(file)).toEqual([]);
    expect(file.usage.events[0].ip).toBe(ann.ip);
    expect(file.audit.at(-1)).toMatchObject({ actor: "cli", action: "account.export", target: ann.id });

    const stdout = await runKriora(join(env.dir, "data"), ["accounts", "export", ann.id]);
    expect(schemaErrors(JSON.parse(stdout.out))).toEqual([]);
  });
});

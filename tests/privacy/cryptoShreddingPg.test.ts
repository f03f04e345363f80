import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAccount, emailAt } from "../../src/accounts/accounts";
import { createAuditTrail } from "../../src/audit/audit";
import { createBilling } from "../../src/billing/billing";
import { loadConfig } from "../../src/config/load";
import { createMemoryCoordination } from "../../src/coord/memory";
import { createKeyWrap } from "../../src/crypto/dataKeys";
import { createFieldCipher } from "../../src/crypto/fields";
import { loadOrCreateMasterKey, masterKeyring } from "../../src/crypto/masterKey";
import { openPostgres, type Db, type DbHandle, type PgHandle } from "../../src/db/client";
import { createDataKeys } from "../../src/db/dataKeys";
import type { Deps } from "../../src/deps";
import { adoptDataKeys } from "../../src/privacy/dataKeyAdoption";
import { eraseAccount } from "../../src/privacy/erasure";
import { requestEmailChange } from "../../src/privacy/rectify";
import { createRequestControls } from "../../src/requestControls";
import { usageIpLocation } from "../../src/usage/writer";
import { captureLog } from "../helpers/deps";
import { cellsOfPgSchema, recoverWithCurrentKeys } from "../helpers/oldCopy";
import { createTestSchema, pgDump, restoreDump, type TestSchema } from "../helpers/pg";
import { skipWithout } from "../helpers/services";
import { usageEvent } from "../helpers/usage";

/**
 * The services an erasure runs, over a PostgreSQL schema: the real database, keys, audit trail,
 * usage writer and (off) billing. What is not about storage is a twin: the mailer keeps nothing,
 * the auth view has no cache to refresh.
 */
async function postgresDeps(pg: PgHandle, dir: string) {
  const file = join(dir, "kriora.toml");
  writeFileSync(file, "");
  const config = loadConfig({ file, dataDir: join(dir, "data"), env: {} });
  const ring = masterKeyring(loadOrCreateMasterKey(config.security.master_key_file));
  const db = pg.db as unknown as Db;
  const clock = { now: () => Date.now() };
  const log = captureLog();
  const cipher = createFieldCipher(ring);
  const dataKeys = createDataKeys(createKeyWrap(ring));
  const audit = createAuditTrail(db, clock);
  const coord = createMemoryCoordination(clock);
  const billing = await createBilling({ config, db, clock, log, audit, wallets: coord.wallets, env: {} });
  const controls = await createRequestControls({ config, db, cipher, dataKeys, audit, clock, log, coord, billing });
  const handle = { purgeErased: async () => undefined } as unknown as DbHandle;
  const authView = { refreshAccount: async () => undefined, refreshKey: async () => undefined };
  const mailer = { send: async () => true };
  return {
    config,
    db,
    clock,
    log,
    cipher,
    dataKeys,
    audit,
    billing,
    ...controls,
    handle,
    authView,
    mailer,
  } as unknown as Deps;
}

const run = skipWithout("postgres") ? describe.skip : describe;

run("§8 erasure by crypto-shredding on PostgreSQL (issue 14)", () => {
  let schema: TestSchema;
  let pg: PgHandle;
  let dir: string;
  const restored: TestSchema[] = [];
  beforeAll(async () => {
    schema = await createTestSchema();
    pg = await openPostgres(schema.url);
    await pg.migrate();
    dir = mkdtempSync(join(tmpdir(), "kriora-pgshred-"));
  });
  afterAll(async () => {
    for (const r of restored) await r.drop();
    await pg?.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a pg_dump taken before erasure, restored into a fresh schema, yields the email, IPs and pending address with the current keys before erasure and nothing after", async () => {
    const deps = await postgresDeps(pg, dir);
    const ann = await createAccount(deps, { email: "ann.pg@example.com" }, "test");
    const bob = await createAccount(deps, { email: "bob.pg@example.com" }, "test");
    for (const [i, who] of [ann, ann, bob].entries())
      deps.usageWriter.record(
        usageEvent(i, { requestId: `req_pg_${i}`, accountId: who.id, keyId: null, clientIp: `198.51.100.${i + 1}` }),
      );
    await deps.usageWriter.flush();
    await requestEmailChange(deps, ann.id, "ann.next.pg@example.com", "test");
    const dump = pgDump(schema.name);
    const old = await restoreDump(dump, schema.name);
    restored.push(old);
    const annCells = (await cellsOfPgSchema(old.sql)).filter((c) => c.owner === ann.id);
    expect(annCells.map((c) => c.where.table).sort()).toEqual([
      "accounts",
      "email_changes",
      "usage_events",
      "usage_events",
    ]);
    // Positive control: before erasure, the restored dump opens with the current keys.
    expect((await recoverWithCurrentKeys(deps, annCells)).sort()).toEqual(
      ["198.51.100.1", "198.51.100.2", "ann.next.pg@example.com", "ann.pg@example.com"].sort(),
    );

    await eraseAccount(deps, ann.id, "request", "test");

    // The restored dump still holds her ciphertexts; with the keys that exist now they do not open.
    expect((await cellsOfPgSchema(old.sql)).filter((c) => c.owner === ann.id)).toEqual(annCells);
    expect(await recoverWithCurrentKeys(deps, annCells)).toEqual([]);
    const all = await recoverWithCurrentKeys(deps, await cellsOfPgSchema(old.sql));
    expect(all).toEqual(expect.arrayContaining(["bob.pg@example.com", "198.51.100.3"]));
    expect(all.filter((v) => v.includes("ann") || v === "198.51.100.1" || v === "198.51.100.2")).toEqual([]);
  });
  test("a start moves fields still under the master key to data keys on PostgreSQL too (an account without a key, and a row an older instance wrote)", async () => {
    const deps = await postgresDeps(pg, dir);
    const cara = await createAccount(deps, { email: "cara.pg@example.com" }, "test");
    const dan = await createAccount(deps, { email: "dan.pg@example.com" }, "test");
    deps.usageWriter.record(
      usageEvent(9, { requestId: "req_pg_dan", accountId: dan.id, keyId: null, clientIp: "203.0.113.9" }),
    );
    await deps.usageWriter.flush();
    // Cara as before data keys (no key, address under the master key); Dan's row as an older instance writes it.
    await schema.sql`DELETE FROM data_keys WHERE owner_id = ${cara.id}`;
    const caraEmail = deps.cipher.encrypt("cara.pg@example.com", emailAt(cara.id));
    await schema.sql`UPDATE accounts SET email_enc = ${caraEmail} WHERE id = ${cara.id}`;
    const danIp = deps.cipher.encrypt("203.0.113.9", usageIpLocation("req_pg_dan"));
    await schema.sql`UPDATE usage_events SET ip_enc = ${danIp} WHERE id = ${"req_pg_dan"}`;
    const fresh = await postgresDeps(pg, dir);
    await adoptDataKeys({ ...fresh, ipDays: 30 });
    const mine = (await cellsOfPgSchema(schema.sql)).filter((c) => c.owner === cara.id || c.owner === dan.id);
    expect(mine).toHaveLength(3);
    expect(mine.every((c) => c.ciphertext.startsWith("d1."))).toBe(true);
    expect((await recoverWithCurrentKeys(fresh, mine)).sort()).toEqual(
      ["203.0.113.9", "cara.pg@example.com", "dan.pg@example.com"].sort(),
    );
  });
});

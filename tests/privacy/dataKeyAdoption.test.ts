import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openDeps, type Deps } from "../../src/deps";
import { exportAccount } from "../../src/privacy/export";
import { requestEmailChange } from "../../src/privacy/rectify";
import { requestSignupLink } from "../../src/accounts/magicLinks";
import { eraseAccount } from "../../src/privacy/erasure";
import { captureLog, makeTestEnv } from "../helpers/deps";
import { cellsOfSqliteCopy, PERSONAL_CELLS, recoverWithCurrentKeys, toCells } from "../helpers/oldCopy";
import { seedPerson } from "../helpers/privacy";

const open: Deps[] = [];
let dir: string | undefined;
afterEach(() => {
  for (const d of open.splice(0)) d.handle.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every personal ciphertext of the live database. */
const cells = (deps: Deps) =>
  PERSONAL_CELLS.flatMap((spec) =>
    toCells(spec, deps.handle.sqlite.query<{ id: string; owner: string; c: string | null }, []>(spec.sql).all()),
  );

/**
 * Turn the database into one from before data keys: every personal field re-encrypted under the
 * master-derived field key, and no data_keys rows.
 */
async function asBeforeDataKeys(deps: Deps): Promise<void> {
  for (const spec of PERSONAL_CELLS)
    for (const cell of cells(deps).filter((c) => c.where.table === spec.table)) {
      const plain = (await deps.dataKeys.get(deps.db, cell.owner))!.decrypt(cell.ciphertext, cell.where);
      const column = spec.table === "usage_events" ? "ip_enc" : spec.column;
      deps.handle.sqlite
        .query(`UPDATE ${spec.table} SET ${column} = ? WHERE id = ?`)
        .run(deps.cipher.encrypt(plain, cell.where), cell.where.rowId);
    }
  deps.handle.sqlite.run("DELETE FROM data_keys");
}

describe("existing databases move to per-account data keys at start (issue 14)", () => {
  test("emails, IPs, pending changes and sign-up links under the master key are re-encrypted under data keys once; export still reads them; erasure then shreds them", async () => {
    const env = await makeTestEnv();
    dir = env.dir;
    const old = env.deps;
    const ann = await seedPerson(old, "ann", { requests: 2 });
    const bob = await seedPerson(old, "bob");
    await requestEmailChange(old, ann.id, "ann.next@example.com", "test");
    await requestSignupLink(old, "newcomer@example.com", {
      ageConfirmedAt: 1,
      policyVersion: old.config.policy.version,
    });
    await asBeforeDataKeys(old);
    const legacy = cells(old);
    expect(legacy).toHaveLength(8);
    expect(legacy.every((c) => c.ciphertext.startsWith("v1."))).toBe(true);
    old.handle.close();

    const log = captureLog();
    const deps = await openDeps(old.config, { log });
    open.push(deps);
    const moved = cells(deps);
    expect(moved.map((c) => c.where)).toEqual(legacy.map((c) => c.where));
    expect(moved.every((c) => c.ciphertext.startsWith("d1."))).toBe(true);
    expect(log.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ event: "data_keys_adopted", accounts: 2, fields: 7, signup_links: 1 }),
    );
    for (const secret of [ann.email, ann.ip, bob.email, "newcomer@example.com"])
      expect(log.text()).not.toContain(secret);
    const exported = await exportAccount(deps, ann.id, "test");
    expect(exported.account.email).toBe(ann.email);
    expect(exported.usage.events.map((e) => e.ip)).toEqual([ann.ip, ann.ip]);
    expect(exported.pending_email_changes.map((c) => c.email)).toEqual(["ann.next@example.com"]);
    expect((await recoverWithCurrentKeys(deps, moved)).sort()).toEqual(
      [ann.email, ann.ip, ann.ip, "ann.next@example.com", bob.email, bob.ip, bob.ip, "newcomer@example.com"].sort(),
    );
    deps.handle.close();
    open.pop();

    // A second start finds nothing to move and changes nothing.
    const again = await openDeps(old.config, { log: captureLog() });
    open.push(again);
    expect(cells(again)).toEqual(moved);

    // The adopted account is crypto-shredded like any other.
    const copy = `${again.config.database.path}.copy`;
    again.handle.sqlite.run(`VACUUM INTO '${copy}'`);
    await eraseAccount(again, ann.id, "request", "test");
    const annCells = cellsOfSqliteCopy(copy).filter((c) => c.owner === ann.id);
    expect(annCells).toHaveLength(4);
    expect(await recoverWithCurrentKeys(again, annCells)).toEqual([]);
  });

  test("rolling upgrade: a row an older instance writes under the master key for an account with a data key reads at once, and the next start moves it", async () => {
    const env = await makeTestEnv();
    dir = env.dir;
    const first = env.deps;
    const ann = await seedPerson(first, "ann", { requests: 2 });
    const [row] = cells(first).filter((c) => c.where.table === "usage_events" && c.owner === ann.id);
    // What a gateway of the previous version writes: the address under the master-derived key.
    first.handle.sqlite
      .query("UPDATE usage_events SET ip_enc = ? WHERE id = ?")
      .run(first.cipher.encrypt(ann.ip, row!.where), row!.where.rowId);
    expect((await exportAccount(first, ann.id, "test")).usage.events.map((e) => e.ip)).toEqual([ann.ip, ann.ip]);
    first.handle.close();

    const log = captureLog();
    const next = await openDeps(first.config, { log });
    open.push(next);
    expect(cells(next).every((c) => c.ciphertext.startsWith("d1."))).toBe(true);
    expect(log.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ event: "data_keys_adopted", accounts: 1, fields: 1, signup_links: 0 }),
    );
    expect((await exportAccount(next, ann.id, "test")).usage.events.map((e) => e.ip)).toEqual([ann.ip, ann.ip]);
  });
});

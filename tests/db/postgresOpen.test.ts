import { describe, expect, test } from "bun:test";
import { openPostgres } from "../../src/db/client";
import { KrioraError } from "../../src/lib/errors";
import { createTestSchema, requireTestDatabaseUrl } from "../helpers/pg";
import { skipWithout } from "../helpers/services";

const PASSWORD = "pw-canary-7f3a9c";

/** The error openPostgres gives for `url`: it must be a KrioraError (shown as one line, no stack). */
async function openError(url: string): Promise<KrioraError> {
  try {
    const handle = await openPostgres(url);
    await handle.close();
  } catch (err) {
    expect(err).toBeInstanceOf(KrioraError);
    return err as KrioraError;
  }
  throw new Error(`openPostgres(${url}) did not fail`);
}

describe.skipIf(skipWithout("postgres"))("opening PostgreSQL (database.url)", () => {
  test("an unreachable server: one line naming host:port/database, never the password", async () => {
    const err = await openError(`postgres://kriora:${PASSWORD}@127.0.0.1:1/kriora_prod`);
    expect(err.message).toBe(
      "cannot open PostgreSQL at 127.0.0.1:1/kriora_prod: connection refused or host unreachable",
    );
  });

  test("credentials the server refuses: its reason on one line, never the password", async () => {
    const base = new URL(requireTestDatabaseUrl());
    const url = `postgres://no_such_role_kriora:${PASSWORD}@${base.host}${base.pathname}`;
    const err = await openError(url);
    expect(err.message).toStartWith(
      `cannot open PostgreSQL at ${base.hostname}:${base.port || "5432"}${base.pathname}: `,
    );
    expect(err.message).toContain('role "no_such_role_kriora" does not exist');
    expect(err.message).not.toContain(PASSWORD);
    expect(err.message).not.toContain("\n");
  });

  test("a database that does not exist is named, the password is not", async () => {
    const base = new URL(requireTestDatabaseUrl());
    base.password = PASSWORD;
    base.pathname = "/kriora_no_such_db";
    const err = await openError(base.href);
    expect(err.message).toContain('database "kriora_no_such_db" does not exist');
    expect(err.message).not.toContain(PASSWORD);
  });

  test("a reachable server: connected, then migrated by migrate(); a failing migration is one line too", async () => {
    const schema = await createTestSchema();
    try {
      const handle = await openPostgres(schema.url);
      try {
        const url = new URL(schema.url);
        expect(handle.where).toBe(`${url.hostname}:${url.port || "5432"}${url.pathname}`);
        expect((await handle.migrationStatus()).applied).toBe(0);
        const status = await handle.migrate();
        expect(status.pending).toBe(0);
        expect(status.applied).toBeGreaterThan(0);
      } finally {
        await handle.close();
      }
      await schema.sql`DROP TABLE __drizzle_migrations`;
      await schema.sql`CREATE TABLE __drizzle_migrations (id serial PRIMARY KEY, created_at bigint)`;
      const handle2 = await openPostgres(schema.url);
      try {
        const err = await handle2.migrate().catch((e) => e);
        expect(err).toBeInstanceOf(KrioraError);
        expect(err.message).toStartWith("cannot open PostgreSQL at ");
        expect(err.message).not.toContain("\n");
      } finally {
        await handle2.close();
      }
    } finally {
      await schema.drop();
    }
  });

  test("dataVersion changes when another connection commits", async () => {
    const schema = await createTestSchema();
    try {
      const handle = await openPostgres(schema.url);
      try {
        await handle.migrate();
        const before = await handle.dataVersion();
        await schema.sql`INSERT INTO signing_keys VALUES ('k1', 'EdDSA', '{}', 'enc', 1)`;
        expect(await handle.dataVersion()).toBeGreaterThan(before);
      } finally {
        await handle.close();
      }
    } finally {
      await schema.drop();
    }
  });
});

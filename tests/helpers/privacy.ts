import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Deps } from "../../src/deps";
import { makeAccount, makeKey, makeSessionCookie } from "./identity";
import { usageEvent } from "./usage";

export interface Person {
  id: string;
  email: string;
  ip: string;
  key: string;
  keyId: string;
  /** Stored in clear in api_keys.name: the positive control of byte scans. */
  keyName: string;
  cookie: string;
}

let serial = 0;

/**
 * An account with everything a person leaves behind: a key, a session, usage rows with a client
 * address (written by the real batched writer), and a ledger row. Unique canaries per call.
 */
export async function seedPerson(
  deps: Deps,
  label: string,
  opts: { requests?: number; at?: number } = {},
): Promise<Person> {
  const tag = randomBytes(5).toString("hex");
  const email = `${label}.${tag}@example.com`;
  const ip = `198.51.${++serial % 250}.${(Number.parseInt(tag.slice(0, 2), 16) % 250) + 1}`;
  const account = await makeAccount(deps, email);
  const keyName = `visible-canary-${label}-${tag}`;
  const { id: keyId, key } = await makeKey(deps, account.id, { name: keyName });
  for (let i = 0; i < (opts.requests ?? 2); i++) {
    deps.usageWriter.record(
      usageEvent(i, {
        requestId: `req_${tag}_${i}`,
        accountId: account.id,
        keyId,
        clientIp: ip,
        at: (opts.at ?? deps.clock.now()) + i,
      }),
    );
  }
  await deps.usageWriter.flush();
  await deps.billing.changeCredits(
    { accountId: account.id, kind: "grant", amountMicros: 5_000_000, reason: "welcome credit" },
    "test",
  );
  return { id: account.id, email, ip, key, keyId, keyName, cookie: await makeSessionCookie(deps, account.id) };
}

/** Headers of a same-origin browser request (state-changing cookie requests need them). */
export const sameOrigin = { "sec-fetch-site": "same-origin" };

/** Which of the database files (main, WAL, shared memory) hold any of the needles as raw bytes. */
export function filesHolding(dbPath: string, needles: string[]): string[] {
  const hits: string[] = [];
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    for (const n of needles)
      if (bytes.includes(Buffer.from(n))) hits.push(`${file.slice(dbPath.length) || ".db"}: ${n}`);
  }
  return hits;
}

/** The needles found in none of the database files: a positive control expects this to be empty. */
export function absentFrom(dbPath: string, needles: string[]): string[] {
  return needles.filter((n) => filesHolding(dbPath, [n]).length === 0);
}

/** A value in every form it could take on disk: as is, and base64 / base64url of its UTF-8 bytes. */
export function forms(value: string): string[] {
  const raw = Buffer.from(value);
  return [...new Set([value, raw.toString("base64"), raw.toString("base64url")])];
}

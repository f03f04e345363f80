import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { and, count, eq } from "drizzle-orm";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/run";
import { workerCount } from "../../src/cli/workers";
import { UsageError } from "../../src/cli/frame";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fakeUpstream";
import { PROVIDER_KEYS, providersToml } from "../helpers/gateway";
import { startServe, type Served } from "../helpers/process";
import { databaseEnv, dropDatabase } from "../helpers/pg";
import { openDataDir } from "../helpers/deps";
import { usageEvents } from "../../src/db/schema";
import { one } from "../../src/db/tx";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "kriora-workers-"));
const data = join(dir, "data");
let fake: FakeUpstream;
let served: Served | undefined;
afterAll(async () => {
  if (served && served.proc.exitCode === null) await served.stop();
  await fake?.stop();
  await dropDatabase(data);
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI in-process on the same data dir: its own database connection, as a separate `kriora` process. */
async function cli(args: string[]): Promise<string> {
  let out = "";
  const code = await runCli([...args, "--data", data, "--config", join(dir, "kriora.toml"), "--json"], {
    out: (t) => (out += t),
    err: (t) => (out += t),
    env: await databaseEnv(data),
  });
  if (code !== 0) throw new Error(out);
  return out;
}

/** Which of `pids` holds each established connection accepted on `port` (read from /proc, as `ss -p` does). */
function connectionsPerPid(port: number, pids: number[]): Record<number, number> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"])
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === "01") inodes.add(f[9]!);
    }
  const counts: Record<number, number> = {};
  for (const pid of pids) {
    counts[pid] = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      })();
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) counts[pid]!++;
    }
  }
  return counts;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `count` requests at once, each on its own connection, kept open until every one has answered. */
async function burst(url: string, key: string, count: number, held: (statuses: number[]) => void) {
  const responses = await Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] }),
      }),
    ),
  );
  held(responses.map((r) => r.status));
  await Promise.all(responses.map((r) => r.text()));
}

beforeAll(() => {
  fake = startFakeUpstream();
  writeFileSync(join(dir, "kriora.toml"), providersToml(fake.url));
});

describe("`serve --workers N`: N processes on one port, one database", () => {
  test("--workers takes a count or auto (one per core); anything else is a usage error", () => {
    expect([workerCount(undefined, 8), workerCount("3", 8), workerCount("auto", 8)]).toEqual([1, 3, 8]);
    for (const bad of ["0", "-1", "1.5", "two", "257"]) expect(() => workerCount(bad, 8)).toThrow(UsageError);
  });

  test("two workers share the port; both refuse a key revoked by the CLI; usage rows are exact; SIGTERM to the parent stops every worker after flushing", async () => {
    await cli(["accounts", "create", "--email", "w@example.com"]);
    const issued = JSON.parse(await cli(["keys", "issue", "--account", "w@example.com"])) as {
      id: string;
      key: string;
    };
    served = await startServe(
      [process.execPath, MAIN, "serve", "--workers", "2", "--data", data, "--config", join(dir, "kriora.toml")],
      dir,
      {
        FAKE_OPENAI_KEY: PROVIDER_KEYS.openai,
      },
    );
    const port = Number(new URL(served.url).port);
    const workers = [...served.stdout().matchAll(/"event":"worker_listening","pid":(\d+)/g)].map((m) => Number(m[1]));
    expect(workers.length).toBe(2);

    // A plain `serve` on the workers' port is still refused.
    const plain = Bun.spawnSync([process.execPath, MAIN, "serve", "--data", join(dir, "other")], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir, KRIORA_SERVER_PORT: String(port) },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr.toString()).toEndWith(`kriora serve: address 127.0.0.1:${port} is in use\n`);

    const N = 32;
    let spread: Record<number, number> = {};
    await burst(served.url, issued.key, N, (statuses) => {
      expect(statuses).toEqual(Array(N).fill(200));
      spread = connectionsPerPid(port, workers);
    });
    // Both workers accepted connections of that burst (the kernel spreads them by address hash).
    expect(Object.values(spread).every((n) => n > 0)).toBe(true);

    await cli(["keys", "revoke", issued.id]);
    await Bun.sleep(1_000);
    // Fewer than the 20 failed authentications that block an address, even if all reach one worker.
    const refused = 16;
    await burst(served.url, issued.key, refused, (statuses) => {
      expect(statuses).toEqual(Array(refused).fill(401));
      spread = connectionsPerPid(port, workers);
    });
    expect(Object.values(spread).every((n) => n > 0)).toBe(true);

    expect(await served.stop()).toBe(0);
    expect(workers.map(alive)).toEqual([false, false]);
    const handle = await openDataDir(data);
    try {
      const ok = and(eq(usageEvents.keyId, issued.id), eq(usageEvents.status, 200));
      expect(await one(handle.db.select({ n: count() }).from(usageEvents).where(ok))).toEqual({ n: N });
    } finally {
      await handle.close();
    }
  }, 60_000);
});

import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * PostgreSQL and Redis servers of a test's own, on free loopback ports in a temp dir, so that a
 * fault test can stop and restart them. The shared servers (5432, 6379) are never touched.
 */

/** A free loopback port (bound and released at once). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** The newest PostgreSQL server binaries installed (Debian's /usr/lib/postgresql/<version>/bin). */
function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin/initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install -y postgresql)`);
  return join(root, versions[0], "bin");
}

/** initdb and pg_ctl refuse to run as root: as root they run as the `postgres` OS user. */
function asPostgres(cmd: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

function run(cmd: string[], what: string) {
  const done = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", LANG: "C" } });
  if (done.exitCode !== 0)
    throw new Error(`${what} failed (${done.exitCode}): ${done.stderr.toString().slice(0, 400)}`);
}

function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const id = Bun.spawnSync(["id", "-u", "postgres"]);
    const gid = Bun.spawnSync(["id", "-g", "postgres"]);
    chownSync(dir, Number(id.stdout.toString()), Number(gid.stdout.toString()));
  }
  chmodSync(dir, 0o700);
  return dir;
}

export interface PrivateServer {
  url: string;
  port: number;
  /** Stop the server; its data stays for `start`. `immediate` stops PostgreSQL without a clean shutdown. */
  stop(opts?: { immediate?: boolean }): Promise<void>;
  /** Start it again on the same port over the same data. */
  start(): Promise<void>;
  /** Stop it and delete its folder. */
  destroy(): Promise<void>;
}

/** A PostgreSQL cluster of its own (trust auth, role `postgres`, database `postgres`). */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const bin = postgresBin();
  const dir = ownedTempDir("kriora-pg-");
  const data = join(dir, "data");
  const port = freePort();
  run(
    asPostgres([
      join(bin, "initdb"),
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--no-sync",
      "--no-instructions",
    ]),
    "initdb",
  );
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let running = false;
  const server: PrivateServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      run(
        asPostgres([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "log"), "-w", "-o", options, "start"]),
        "pg_ctl start",
      );
      running = true;
    },
    async stop(opts = {}) {
      if (!running) return;
      run(
        asPostgres([join(bin, "pg_ctl"), "-D", data, "-w", "-m", opts.immediate ? "immediate" : "fast", "stop"]),
        "pg_ctl stop",
      );
      running = false;
    },
    async destroy() {
      try {
        await server.stop({ immediate: true });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  await server.start();
  return server;
}

/**
 * A redis-server of its own. By default it keeps an append-only file (fsync on every write), so a
 * restart brings back what it held, as a production Redis with persistence does; `persist: false`
 * gives a Redis that comes back empty.
 */
export async function startPrivateRedis({ persist = true } = {}): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), "kriora-redis-"));
  mkdirSync(join(dir, "data"));
  const port = freePort();
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const server: PrivateServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      proc = Bun.spawn(
        [
          "redis-server",
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          join(dir, "data"),
          "--save",
          "",
          "--appendonly",
          persist ? "yes" : "no",
          "--appendfsync",
          "always",
          "--logfile",
          join(dir, "redis.log"),
        ],
        { stdout: "ignore", stderr: "ignore" },
      );
      const deadline = Date.now() + 10_000;
      while (!(await answers(port))) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on ${port}`);
        await Bun.sleep(20);
      }
    },
    async stop() {
      if (!proc) return;
      proc.kill("SIGKILL");
      await proc.exited;
      proc = null;
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

async function answers(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

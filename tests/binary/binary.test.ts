import { skipWithout } from "../helpers/services";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServe } from "../helpers/process";
import { embeddedPgJournal } from "../../src/db/migrations";
import { createTestSchema } from "../helpers/pg";

const root = join(import.meta.dir, "../..");
const CANARY = "CANARY-binary-4c1d-prompt";
let buildDir: string;
let binary: string;

/** The compiled binary, built like `npm run build` does, into a folder of its own. */
beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), "kriora-build-"));
  binary = join(buildDir, "kriora");
  const build = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "src/main.ts",
      "--compile",
      "--minify-whitespace",
      "--minify-syntax",
      "--outfile",
      binary,
    ],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
}, 120_000);
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

/** A copy of the binary alone in an empty folder: nothing of the source tree beside it. */
function lonelyCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "kriora-bin-"));
  copyFileSync(binary, join(dir, "kriora"));
  return dir;
}

function run(dir: string, ...args: string[]) {
  return runWith({}, dir, ...args);
}

function runWith(env: Record<string, string>, dir: string, ...args: string[]) {
  const res = Bun.spawnSync([join(dir, "kriora"), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

// The single binary on a VPS is the SQLite story: these run on SQLite in PostgreSQL mode too.
const SQLITE = { KRIORA_DATABASE_URL: "" };

describe("the compiled binary, alone in an empty folder", () => {
  test("`migrate` creates the data dir and key, applies the embedded migrations; the second run is a no-op", () => {
    const dir = lonelyCopy();
    const first = run(dir, "migrate", "--json");
    expect(first.code).toBe(0);
    const status = JSON.parse(first.out);
    expect(status.applied).toBeGreaterThan(0);
    expect(status.pending).toBe(0);
    expect(statSync(join(dir, "data", "master.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "data", "kriora.db")).mode & 0o077).toBe(0);
    const second = run(dir, "migrate", "--json");
    expect(second.code).toBe(0);
    expect(JSON.parse(second.out)).toEqual(status);
    rmSync(dir, { recursive: true, force: true });
  });

  test("`serve` answers /healthz, /readyz, /openapi.json, the embedded docs UI and the console, and stops cleanly on SIGTERM", async () => {
    const dir = lonelyCopy();
    const served = await startServe([join(dir, "kriora"), "serve"], dir, SQLITE);
    try {
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
      const spec = (await (await fetch(`${served.url}/openapi.json`)).json()) as { openapi: string };
      expect(spec.openapi).toMatch(/^3\./);
      const ui = await fetch(`${served.url}/docs/assets/scalar.js`);
      expect(ui.status).toBe(200);
      expect((await ui.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
      // The console, bundled into the binary when it was compiled.
      const home = await fetch(`${served.url}/`);
      expect(home.headers.get("content-type")).toContain("text/html");
      expect(await home.text()).toContain('<script type="module" src="/console/app.js">');
      const js = await fetch(`${served.url}/console/app.js`);
      expect(js.headers.get("content-type")).toContain("text/javascript");
      expect(await js.text()).toContain("/account/overview");
      expect(await (await fetch(`${served.url}/console/app.css`)).text()).toContain(".uplot");
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(served.stdout()).toContain('"event":"stopping","signal":"SIGTERM"');
    expect(readdirSync(join(dir, "data"))).toContain("kriora.db");
    rmSync(dir, { recursive: true, force: true });
  });

  test("§3 zero retention: a canary in bad requests reaches neither responses nor stdout/stderr (with a positive control)", async () => {
    const dir = lonelyCopy();
    const served = await startServe([join(dir, "kriora"), "serve"], dir, SQLITE);
    const bodies: string[] = [];
    const ids: string[] = [];
    try {
      for (const [path, body] of [
        ["/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"${CANARY}"`],
        ["/v1/messages", JSON.stringify({ model: 1, messages: [{ role: "user", content: CANARY }] })],
        ["/healthz", CANARY],
        ["/nowhere", JSON.stringify({ prompt: CANARY })],
      ] as const) {
        const res = await fetch(`${served.url}${path}?q=${CANARY}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-canary": CANARY },
          body,
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        ids.push(res.headers.get("x-request-id")!);
        bodies.push(await res.text());
      }
      const big = await fetch(`${served.url}/v1/chat/completions`, {
        method: "POST",
        body: CANARY + "x".repeat(11 * 1024 * 1024),
      });
      expect(big.status).toBe(413);
      bodies.push(await big.text());
      const chunked = await fetch(`${served.url}/v1/chat/completions`, {
        method: "POST",
        body: new Blob([CANARY, "x".repeat(11 * 1024 * 1024)]).stream(),
      });
      expect(chunked.status).toBe(413);
      bodies.push(await chunked.text());
    } finally {
      await served.stop();
    }
    for (const text of [...bodies, served.stdout(), served.stderr()]) expect(text).not.toContain(CANARY);
    // Positive control: the same capture holds what the process did print for these requests.
    for (const id of ids) expect(served.stdout()).toContain(id);
    rmSync(dir, { recursive: true, force: true });
  });

  test("with telemetry.otlp_traces_url set, the binary loads the OpenTelemetry SDK it embeds and exports a span per request", async () => {
    const dir = lonelyCopy();
    const bodies: string[] = [];
    const receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        bodies.push(await req.text());
        return Response.json({});
      },
    });
    const served = await startServe([join(dir, "kriora"), "serve"], dir, {
      ...SQLITE,
      KRIORA_TELEMETRY_OTLP_TRACES_URL: `http://127.0.0.1:${receiver.port}/v1/traces`,
    });
    try {
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      const deadline = Date.now() + 10_000;
      while (!bodies.some((b) => b.includes("/healthz")) && Date.now() < deadline) await Bun.sleep(50);
    } finally {
      expect(await served.stop()).toBe(0);
      receiver.stop(true);
    }
    expect(bodies.join("")).toContain('"GET /healthz"');
    expect(served.stderr()).not.toContain("tracing_unavailable");
    rmSync(dir, { recursive: true, force: true });
  });

  test("-h and --version work in the binary", () => {
    const dir = lonelyCopy();
    expect(run(dir, "-h").out).toContain("Usage: kriora <command>");
    expect(run(dir, "--version").out).toMatch(/^kriora \d+\.\d+\.\d+/);
    rmSync(dir, { recursive: true, force: true });
  });

  test("--help explains every command; a usage error exits 2; a config error exits 1 naming the key", () => {
    const dir = lonelyCopy();
    const help = run(dir, "--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("audit verify");
    expect(run(dir, "audit", "verify", "--help").out).toContain("Usage: kriora audit verify");
    expect(run(dir, "no-such-command").code).toBe(2);
    const bad = Bun.spawnSync([join(dir, "kriora"), "migrate"], {
      cwd: dir,
      env: { KRIORA_SERVER_PORT: "eighty" },
      stderr: "pipe",
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.toString()).toContain("server.port");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe.skipIf(skipWithout("postgres"))("the compiled binary on PostgreSQL (database.url)", () => {
  test("`migrate` applies the embedded drizzle-pg/ migrations to the schema, once; no SQLite file is made", async () => {
    const dir = lonelyCopy();
    const schema = await createTestSchema();
    try {
      const env = { KRIORA_DATABASE_URL: schema.url };
      const first = runWith(env, dir, "migrate", "--json");
      expect(first.code).toBe(0);
      expect(JSON.parse(first.out)).toEqual({
        version: embeddedPgJournal.entries.at(-1)!.tag,
        applied: embeddedPgJournal.entries.length,
        pending: 0,
      });
      expect(JSON.parse(runWith(env, dir, "migrate", "--json").out)).toEqual(JSON.parse(first.out));
      expect(readdirSync(join(dir, "data"))).toEqual(["master.key"]);
    } finally {
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cycles, folderOf, importEdges, type Edge } from "./imports";

// The rules of ARCHITECTURE.md ("What may import what"), edges on every import of src/,
// type-only and dynamic imports included.
const SRC = join(import.meta.dir, "../../src");

/** Folder → the folders it may import. "(root)" is the wiring (src/deps.ts, src/requestControls.ts, src/version.ts); "(main)" is src/main.ts. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: [],
  config: [],
  web: [],
  crypto: ["lib"],
  metrics: ["lib"],
  db: ["crypto", "lib"],
  coord: ["lib"],
  mail: ["config", "lib"],
  audit: ["db", "lib"],
  accounts: ["audit", "config", "crypto", "db", "lib", "mail"],
  keys: ["accounts", "audit", "config", "crypto", "db", "lib"],
  auth: ["accounts", "config", "coord", "crypto", "db", "keys", "lib"],
  usage: ["audit", "config", "coord", "crypto", "db", "lib", "metrics"],
  telemetry: ["config", "lib", "usage"],
  billing: ["accounts", "audit", "config", "coord", "db", "lib", "usage"],
  limits: ["audit", "auth", "billing", "config", "coord", "db", "lib", "metrics", "usage"],
  privacy: ["accounts", "audit", "billing", "config", "crypto", "db", "keys", "lib", "usage"],
  proxy: ["auth", "config", "lib", "limits", "metrics", "telemetry", "usage"],
  http: [
    "(root)",
    "accounts",
    "audit",
    "auth",
    "billing",
    "config",
    "coord",
    "crypto",
    "db",
    "keys",
    "lib",
    "limits",
    "metrics",
    "privacy",
    "proxy",
    "usage",
    "web",
  ],
  cli: [
    "(root)",
    "accounts",
    "audit",
    "auth",
    "billing",
    "config",
    "coord",
    "crypto",
    "db",
    "http",
    "keys",
    "lib",
    "limits",
    "privacy",
    "usage",
  ],
  "(main)": ["cli"],
  "(root)": [
    "accounts",
    "audit",
    "auth",
    "billing",
    "config",
    "coord",
    "crypto",
    "db",
    "http",
    "keys",
    "lib",
    "limits",
    "mail",
    "metrics",
    "privacy",
    "proxy",
    "telemetry",
    "usage",
  ],
};

/** Who may import the composition root's files (src/deps.ts and the wiring beside it). */
const ROOT_IMPORTERS = ["(main)", "cli", "http", "(root)"];

const edges = importEdges(SRC);
const folderEdges = edges.map((e) => ({ from: folderOf(e.from), to: folderOf(e.to) })).filter((e) => e.from !== e.to);
const show = (e: Edge) => `${e.from} -> ${e.to}`;

describe("ARCHITECTURE.md import rules", () => {
  test("the parser sees the imports of src/ (positive control)", () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: "main.ts", to: "cli/run.ts" });
    expect(edges.some((e) => e.from.startsWith("web/"))).toBe(true);
  });

  test("every folder of src/ has a rule", () => {
    const folders = new Set(edges.flatMap((e) => [folderOf(e.from), folderOf(e.to)]));
    expect([...folders].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
  });

  test("each folder imports only the folders its layer allows", () => {
    const wrong = edges.filter((e) => {
      const [from, to] = [folderOf(e.from), folderOf(e.to)];
      return from !== to && !MAY_IMPORT[from]?.includes(to);
    });
    expect(wrong.map(show)).toEqual([]);
  });

  test("the composition root is imported only by main, cli/ and http/", () => {
    const wrong = edges.filter((e) => folderOf(e.to) === "(root)" && !ROOT_IMPORTERS.includes(folderOf(e.from)));
    expect(wrong.map(show)).toEqual([]);
    const intoMain = edges.filter((e) => folderOf(e.to) === "(main)");
    expect(intoMain.map(show)).toEqual([]);
  });

  test("no import cycle between folders", () => {
    expect(cycles(folderEdges)).toEqual([]);
  });

  test("no import cycle between files, type-only imports included", () => {
    expect(cycles(edges)).toEqual([]);
  });

  test("the cycle finder finds a cycle (positive control)", () => {
    const loop = [
      { from: "a", to: "b" },
      { from: "b", to: "c" },
      { from: "c", to: "a" },
      { from: "c", to: "d" },
    ];
    expect(cycles(loop)).toEqual([["a", "b", "c"]]);
  });
});

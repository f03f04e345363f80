import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findUnusedExports } from "../../scripts/unusedExports";

const root = mkdtempSync(join(tmpdir(), "kriora-unused-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

write(
  "src/lib.ts",
  [
    "export const byName = 1;",
    "export const byTest = 2;",
    "export function onlyHere() { return byName; }",
    "export const nobody = onlyHere();",
    "export type Shape = { a: number };",
    "export default function fallback() {}",
  ].join("\n"),
);
write("src/ns.ts", "export const a = 1;\nexport const b = 2;\n");
write("src/lazy.ts", "export const c = 3;\n");
write("src/barrel.ts", 'export * from "./ns";\n');
write(
  "src/main.ts",
  'import fallback, { byName, type Shape } from "./lib";\nimport * as ns from "./barrel";\nconst s: Shape = { a: byName + ns.a };\nfallback();\nexport const loaded = import("./lazy").then(() => s);\n',
);
write(
  "tests/lib.test.ts",
  'import { byTest } from "../src/lib";\nimport { loaded } from "../src/main";\nvoid byTest;\nvoid loaded;\n',
);
write("bench/unrelated.ts", "export const benchOnly = 1;\n");

test("lists exactly the src exports no other file imports, by file and line", () => {
  expect(findUnusedExports(root)).toEqual(["src/lib.ts:3 onlyHere", "src/lib.ts:4 nobody"]);
});

test("an import from tests alone keeps an export; dropping it makes the export unused", () => {
  write("tests/lib.test.ts", 'import { loaded } from "../src/main";\nvoid loaded;\n');
  expect(findUnusedExports(root)).toContain("src/lib.ts:2 byTest");
});

import { describe, expect, test } from "bun:test";
import { join, relative } from "node:path";
import ts from "typescript";

// Services reach the database only through the awaited helpers of src/db/tx.ts. The synchronous
// methods of drizzle's bun-sqlite builders and of bun:sqlite itself exist only on SQLite: a call
// outside src/db would fail (or silently do nothing) in PostgreSQL mode.
const ROOT = join(import.meta.dir, "../..");
const SYNC_METHODS = new Set(["run", "all", "get", "values", "transaction", "prepare", "query", "exec"]);
const SQLITE_ONLY = /node_modules\/(drizzle-orm\/(sqlite-core|bun-sqlite)\/|bun-types\/sqlite\.d\.ts|@types\/bun)/;

function syncCalls(files: string[]): string[] {
  const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
  const program = ts.createProgram(files, options);
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file)!;
    const visit = (node: ts.Node) => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        SYNC_METHODS.has(node.expression.name.text)
      ) {
        const declarations = checker.getSymbolAtLocation(node.expression.name)?.declarations ?? [];
        // An insert's `.values(rows)` builds the statement; it runs nothing.
        const runs = declarations.filter((d) => !/query-builders\/insert\.d\.ts$/.test(d.getSourceFile().fileName));
        if (runs.some((d) => SQLITE_ONLY.test(d.getSourceFile().fileName))) {
          const line = sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          found.push(`${relative(ROOT, file)}:${line} .${node.expression.name.text}()`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

const sources = [...new Bun.Glob("src/**/*.{ts,tsx}").scanSync(ROOT)]
  .filter((f) => !f.startsWith("src/web/") && !f.endsWith(".d.ts"))
  .map((f) => join(ROOT, f));

describe("the storage port", () => {
  const calls = syncCalls(sources);

  test("the finder sees SQLite-only calls where they are allowed (positive control: src/db)", () => {
    expect(calls.some((c) => c.startsWith("src/db/client.ts"))).toBe(true);
    expect(calls.some((c) => c.startsWith("src/db/tx.ts"))).toBe(true);
  });

  test("no file outside src/db calls the synchronous drizzle bun-sqlite or bun:sqlite methods", () => {
    expect(calls.filter((c) => !c.startsWith("src/db/"))).toEqual([]);
  });
});
